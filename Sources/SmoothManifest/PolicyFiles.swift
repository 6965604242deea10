/// Cross-domain policy files for plugin-era clients, placed at the root of the serving host (docs/format.md §5).
/// HTML5 players need CORS headers instead; these files do not replace them.
public enum PolicyFiles {
    /// `clientaccesspolicy.xml` (Silverlight): requests with any headers from `allowedDomains`
    /// (`*` = everyone) may read everything under `/`.
    public static func clientAccessPolicy(allowedDomains: [String] = ["*"]) -> String {
        let allowFrom = XMLWriter.Element("allow-from", [.init("http-request-headers", "*")],
                                          children: allowedDomains.map { XMLWriter.Element("domain", [.init("uri", $0)]) },
                                          inline: true)
        let grantTo = XMLWriter.Element("grant-to", children: [
            XMLWriter.Element("resource", [.init("path", "/"), .init("include-subpaths", "true")]),
        ], inline: true)
        let root = XMLWriter.Element("access-policy", children: [
            XMLWriter.Element("cross-domain-access", children: [
                XMLWriter.Element("policy", children: [allowFrom, grantTo]),
            ]),
        ])
        return XMLWriter(spaceBeforeSelfClose: false).document(root)
    }

    /// The DOCTYPE line Adobe's policy files carry.
    public static let crossDomainDoctype =
        #"<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd">"#

    /// `crossdomain.xml` (Flash): one `allow-access-from` per domain (`*` = everyone).
    public static func crossDomainPolicy(allowedDomains: [String] = ["*"]) -> String {
        let root = XMLWriter.Element("cross-domain-policy",
                                     children: allowedDomains.map { XMLWriter.Element("allow-access-from", [.init("domain", $0)]) })
        return XMLWriter(spaceBeforeSelfClose: false).document(root, doctype: crossDomainDoctype)
    }

    /// Both files: `(name, UTF-8 contents)`.
    public static func files(allowedDomains: [String] = ["*"]) -> [(name: String, contents: [UInt8])] {
        [("clientaccesspolicy.xml", Array(clientAccessPolicy(allowedDomains: allowedDomains).utf8)),
         ("crossdomain.xml", Array(crossDomainPolicy(allowedDomains: allowedDomains).utf8))]
    }
}
