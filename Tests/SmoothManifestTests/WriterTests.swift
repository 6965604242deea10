import SmoothManifest
import TestSupport
import Testing

@Suite struct WriterTests {
    @Test func escapesAttributeValues() {
        let e = XMLWriter.Element("a", [.init("x", "& < > \" ' tab\tnl\n"), .init("skip", nil), .init("y", "ü€")])
        #expect(XMLWriter().document(e) ==
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<a x=\"&amp; &lt; &gt; &quot; &apos; tab&#9;nl&#10;\" y=\"ü€\" />\n")
        #expect(XMLWriter.escape("a\u{1}b\u{FFFE}") == "a\u{FFFD}b\u{FFFD}")
    }

    @Test func indentationAndSelfClosing() {
        let e = XMLWriter.Element("r", children: [
            .init("a", children: [.init("b")]),
            .init("c", children: [.init("d", [.init("k", "v")])], inline: true),
        ])
        #expect(XMLWriter(spaceBeforeSelfClose: false).document(e) ==
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<r>\n  <a>\n    <b/>\n  </a>\n  <c><d k=\"v\"/></c>\n</r>\n")
    }

    /// Escaped values survive write → read unchanged, in both manifests.
    @Test func escapedValuesRoundTrip() throws {
        let odd = #"we&ird <"name"> 'x'"#
        let server = ServerManifest(meta: [.init(name: "title", content: odd), .init(name: "clientManifestRelativePath", content: "a&b.ismc")],
                                    tracks: [.init(kind: .video, src: "a&b <1>.ismv", systemBitrate: 1, trackID: 1,
                                                   otherParams: [.init(name: "note", value: odd + "\ttab")])])
        let xml = server.xml()
        #expect(xml.contains(#"src="a&amp;b &lt;1&gt;.ismv""#))
        #expect(try ServerManifest(xml: Array(xml.utf8)) == server)
        var client = try Example46.build().client
        client.streams[0].url = "QualityLevels({bitrate})/Fragments(video={start time})?a=1&b='2'"
        #expect(try ClientManifest(xml: client.xmlBytes()) == client)
    }

    @Test func policyFilesMatchTheSheet() {
        #expect(PolicyFiles.clientAccessPolicy() == """
            <?xml version="1.0" encoding="utf-8"?>
            <access-policy>
              <cross-domain-access>
                <policy>
                  <allow-from http-request-headers="*"><domain uri="*"/></allow-from>
                  <grant-to><resource path="/" include-subpaths="true"/></grant-to>
                </policy>
              </cross-domain-access>
            </access-policy>

            """)
        #expect(PolicyFiles.crossDomainPolicy() == """
            <?xml version="1.0" encoding="utf-8"?>
            <!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd">
            <cross-domain-policy>
              <allow-access-from domain="*"/>
            </cross-domain-policy>

            """)
        let two = PolicyFiles.clientAccessPolicy(allowedDomains: ["https://a.example", "https://b.example?x&y"])
        #expect(two.contains(#"<allow-from http-request-headers="*"><domain uri="https://a.example"/><domain uri="https://b.example?x&amp;y"/></allow-from>"#))
        #expect(PolicyFiles.crossDomainPolicy(allowedDomains: ["*.a.example", "b.example"]).contains(
            "  <allow-access-from domain=\"*.a.example\"/>\n  <allow-access-from domain=\"b.example\"/>\n"))
        #expect(PolicyFiles.files().map(\.name) == ["clientaccesspolicy.xml", "crossdomain.xml"])
    }
}
