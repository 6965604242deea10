import Foundation
import SmoothManifest
import TestSupport
import Testing

@Suite struct ReaderTests {
    func code(_ xml: String, limits: ReadLimits = ReadLimits()) -> ManifestError.Code? {
        do {
            _ = try ClientManifest(xml: Array(xml.utf8), limits: limits)
            return nil
        } catch {
            return error.code
        }
    }

    func ismc(_ cs: String, chunks: Int, minor: Int = 2) -> String {
        """
        <?xml version="1.0"?>
        <SmoothStreamingMedia MajorVersion="2" MinorVersion="\(minor)" Duration="100">
          <StreamIndex Type="video" Chunks="\(chunks)" QualityLevels="1" Url="QualityLevels({bitrate})/Fragments(video={start_time})">
            <QualityLevel Index="0" Bitrate="1000" FourCC="H264" MaxWidth="2" MaxHeight="2" CodecPrivateData="00000001670000000168ee"/>
            \(cs)
          </StreamIndex>
        </SmoothStreamingMedia>
        """
    }

    @Test func roundTripBothVersions() throws {
        for version in [ClientManifestVersion.v2_0, .v2_2] {
            let m = try Example46.build(.init(version: version, title: "Tïtle & co"))
            #expect(try ClientManifest(xml: m.client.xmlBytes()) == m.client)
            #expect(try ServerManifest(xml: m.server.xmlBytes()) == m.server)
        }
    }

    @Test func expandsRepeatsImplicitTimesAndDurations() throws {
        // r total count; implicit t; d inferred from the next t; explicit t after a gap; name defaults to Type.
        let m = try ClientManifest(xml: Array(ismc(#"<c d="10" r="3"/><c t="40"/><c t="50" d="5"/><c d="7" n="9"/>"#, chunks: 6).utf8))
        let s = m.streams[0]
        #expect(s.name == "video")
        #expect(s.chunks.map(\.time) == [0, 10, 20, 40, 50, 55])
        #expect(s.chunks.map(\.duration) == [10, 10, 10, 10, 5, 7])
        #expect(s.qualityLevels[0].codecPrivateData == [0, 0, 0, 1, 0x67, 0, 0, 0, 1, 0x68, 0xEE])
        #expect(m.timeScale == 10_000_000)
        let refs = m.fragmentReferences()
        #expect(refs.map(\.path) == [0, 10, 20, 40, 50, 55].map { "QualityLevels(1000)/Fragments(video=\($0))" })
    }

    @Test func fragmentReferencesOfTheExample() throws {
        let refs = try Example46.build().client.fragmentReferences()
        #expect(refs.count == 3 * 5 + 5)
        #expect(refs.first?.path == "QualityLevels(3000000)/Fragments(video=0)")
        #expect(refs.last?.path == "QualityLevels(128000)/Fragments(audio=80213333)")
        #expect(refs.last?.duration == 19_840_000)
    }

    @Test func serverLookup() throws {
        let s = try ServerManifest(xml: Golden.bytes("presentation.ism"))
        #expect(s.clientManifestRelativePath == "presentation.ismc")
        #expect(s.track(bitrate: 1_800_000, name: "video")?.src == "presentation_v1800k.ismv")
        #expect(s.track(bitrate: 128_000, name: "audio")?.trackID == 2)
        #expect(s.track(bitrate: 128_000, name: "video") == nil)
        // A prefixed SMIL namespace is accepted; a textstream is a text track (captions, issue 15).
        let prefixed = """
            <s:smil xmlns:s="http://www.w3.org/2001/SMIL20/Language"><s:body><s:switch>
            <s:textstream src="t.ismt" systemBitrate="1"><s:param name="trackID" value="3" valuetype="data"/></s:textstream>
            <s:video src="v.ismv" systemBitrate="5"><s:param name="trackID" value="1" valuetype="data"/></s:video>
            </s:switch></s:body></s:smil>
            """
        let p = try ServerManifest(xml: Array(prefixed.utf8))
        #expect(p.tracks.map(\.src) == ["t.ismt", "v.ismv"])
        #expect(p.tracks.map(\.kind) == [.text, .video])
    }

    @Test func typedErrors() {
        #expect(code(ismc(#"<c d="10"/>"#, chunks: 2)) == .countMismatch)
        #expect(code(ismc(#"<c t="0"/>"#, chunks: 1)) == .missingAttribute)           // last c without d
        #expect(code(ismc(#"<c d="10"/><c t="5" d="10"/>"#, chunks: 2)) == .invalidAttribute) // overlap
        #expect(code(ismc(#"<c d="-10"/>"#, chunks: 1)) == .invalidAttribute)
        #expect(code(ismc(#"<c d="10" r="0"/>"#, chunks: 0)) == .invalidAttribute)
        #expect(code(ismc(#"<c d="10" r="999999999999"/>"#, chunks: 1)) == .limitExceeded)
        #expect(code(ismc(#"<c t="9223372036854775" d="999999999999999999" r="100"/>"#, chunks: 100)) == .invalidAttribute)
        #expect(code(ismc(#"<c d="1" r="5"/>"#, chunks: 5), limits: ReadLimits(maxChunksPerStream: 4)) == .limitExceeded)
        #expect(code(#"<!DOCTYPE x [<!ENTITY a "aaaa">]><SmoothStreamingMedia/>"#) == .malformedXML)
        #expect(code("<SmoothStreamingMedia MajorVersion=\"2\">") == .malformedXML)
        #expect(code(#"<a MajorVersion="2"/>"#) == .unexpectedElement)
        #expect(code(#"<SmoothStreamingMedia MajorVersion="2" MinorVersion="0"/>"#) == .missingAttribute)
        #expect(code(#"<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="1" Duration="2"/>"#) == .malformedXML)
        #expect(code(#"<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="&foo;"/>"#) == .malformedXML)
        #expect(code(#"<SmoothStreamingMedia MajorVersion="2" MinorVersion="0" Duration="1"/>"#, limits: ReadLimits(maxBytes: 10)) == .limitExceeded)
        #expect(code(String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)) == .limitExceeded)
        #expect(code(ismc(#"<c d="10"/>"#, chunks: 1).replacingOccurrences(of: "Type=\"video\"", with: "Type=\"subtitle\"")) == .invalidAttribute)
        #expect((try? ClientManifest(xml: [0xC3, 0x28])) == nil)
        do {
            _ = try ClientManifest(xml: [0x3C, 0xFF])
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.code == .unsupportedEncoding)
        }
    }

    @Test func acceptsBOMAndUTF16() throws {
        let built = try Example46.build().client
        let text = built.xml().replacingOccurrences(of: "utf-8", with: "utf-16")
        var utf16: [UInt8] = [0xFF, 0xFE]
        for u in text.utf16 { utf16 += [UInt8(u & 0xFF), UInt8(u >> 8)] }
        #expect(try ClientManifest(xml: utf16) == built)
        var be: [UInt8] = [0xFE, 0xFF]
        for u in text.utf16 { be += [UInt8(u >> 8), UInt8(u & 0xFF)] }
        #expect(try ClientManifest(xml: be) == built)
        #expect(try ClientManifest(xml: [0xEF, 0xBB, 0xBF] + built.xmlBytes()) == built)
    }

    @Test func commentsCDATAAndCharacterReferences() throws {
        let xml = """
            <?xml version="1.0"?><!-- c --><?pi x?>
            <smil xmlns="http://www.w3.org/2001/SMIL20/Language"><head><meta name="t&#x41;&#66;" content='a "b" &lt;'/></head>
            <body><switch><![CDATA[ <ignored> ]]><!-- x --><audio src="a.isma" systemBitrate="1"><param name="trackID" value="2" valuetype="data"/></audio></switch></body></smil>
            <!-- trailing -->
            """
        let s = try ServerManifest(xml: Array(xml.utf8))
        #expect(s.meta == [.init(name: "tAB", content: #"a "b" <"#)])
        #expect(s.tracks.first?.name == "audio")
    }

    /// Every truncation and thousands of random byte flips of the goldens: no crash, only typed errors or values.
    @Test(arguments: ["presentation.ism", "presentation.ismc", "presentation.sheet.ismc"])
    func robustAgainstTruncationAndBitFlips(_ name: String) throws {
        let golden = try Golden.bytes(name)
        var outcomes = (ok: 0, failed: 0)
        func attempt(_ bytes: [UInt8]) {
            let s = try? ServerManifest(xml: bytes)
            let c = try? ClientManifest(xml: bytes)
            _ = c?.fragmentReferences()
            if s != nil || c != nil { outcomes.ok += 1 } else { outcomes.failed += 1 }
        }
        for n in 0..<golden.count { attempt(Array(golden.prefix(n))) }
        var rng = SplitMix64(state: 0x5EED ^ UInt64(golden.count))
        let interesting: [UInt8] = Array("<>/=\"'&;#x0123456789rtd ".utf8) + [0, 0xFF, 0xC3, 0x80]
        for _ in 0..<1500 {
            var b = golden
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<b.count, using: &rng)
                if Bool.random(using: &rng) {
                    b[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                } else {
                    b[i] = interesting.randomElement(using: &rng) ?? 0
                }
            }
            attempt(b)
        }
        #expect(outcomes.failed > 0 && outcomes.ok > 0)
    }
}

@Suite struct FragmentRequestTests {
    @Test func parsesEveryFragmentURLOfTheExample() throws {
        let client = try Example46.build().client
        let server = try Example46.build().server
        for ref in client.fragmentReferences() {
            let r = try #require(FragmentRequest(path: ref.path))
            #expect(r.bitrate == ref.bitrate && r.time == ref.time && r.streamName == ref.streamName && r.noun == .fragments)
            #expect(r.path == ref.path)
            #expect(server.track(bitrate: r.bitrate, name: r.streamName) != nil)
        }
    }

    @Test func nounsAndBadForms() {
        #expect(FragmentRequest(path: "QualityLevels(128000)/FragmentInfo(audio_eng=20053333)") ==
            FragmentRequest(bitrate: 128_000, noun: .fragmentInfo, streamName: "audio_eng", time: 20_053_333))
        #expect(FragmentRequest(path: "QualityLevels(1)/KeyFrames(video=0)")?.noun == .keyFrames)
        #expect(FragmentRequest(path: "QualityLevels(1)/RawFragments(video=0)")?.noun == .rawFragments)
        for bad in ["", "QualityLevels(1)", "QualityLevels(-1)/Fragments(video=0)", "QualityLevels(0)/Fragments(video=0)",
                    "QualityLevels(1)/Fragments(video=+5)", "QualityLevels(1)/Fragments(video=)", "QualityLevels(1)/Fragments(=5)",
                    "QualityLevels(1,a=b)/Fragments(video=0)", "QualityLevels(1)/Fragments(video=0)/x",
                    "QualityLevels(1)/Fragments(vi deo=0)", "QualityLevels(99999999999999999999)/Fragments(video=0)",
                    "QualityLevels(1)/Fragments(video=0=1)", "QualityLevels(1)/Manifest"] {
            #expect(FragmentRequest(path: bad) == nil, "\(bad)")
        }
    }
}
