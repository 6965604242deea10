internal import Foundation
internal import Platform

/// SPEKE v2.0 (AWS's key exchange as MediaConvert and MediaPackage use it; docs/format.md §12.9): the CPIX
/// 2.3 request for one content ID and the parse of the key server's answer. The HTTP exchange itself is
/// `SmoothPack.SPEKEKeyProvider` (POST, `Content-Type: application/xml`, `X-Speke-Version: 2.0`).
///
/// KIDs are chosen here, derived from the content ID (so the same content ID always asks for the same KIDs
/// and the presentation version stays stable); the server answers with the content keys in
/// `cpix:ContentKey/cpix:Data/pskc:Secret/pskc:PlainValue` (base64). Encrypted content keys (CPIX document
/// keys) are not supported and are refused with a clear error.
public enum SPEKE {
    /// Video and audio KIDs for a content ID.
    public static func keyIDs(contentID: String) -> (video: KeyID, audio: KeyID) {
        func derive(_ track: String) -> KeyID {
            var b = Array(SHA256.hash(Array("smoothpack speke kid\n\(contentID)\n\(track)".utf8)).prefix(16))
            b[6] = b[6] & 0x0F | 0x40  // UUID version 4 layout (RFC 9562 §5.4), random-looking bits from the hash
            b[8] = b[8] & 0x3F | 0x80
            return try! KeyID(b)  // 16 bytes
        }
        return (derive("video"), derive("audio"))
    }

    /// The CPIX request body: two `cenc` keys, PlayReady signalling requested, one key per track type.
    public static func request(contentID: String, video: KeyID, audio: KeyID) -> String {
        let id = PlayReady.escape(contentID)
        let pr = "9a04f079-9840-4286-ab92-e65be0885f95"
        let v = video.uuidString, a = audio.uuidString
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <cpix:CPIX contentId="\(id)" version="2.3" xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
              <cpix:ContentKeyList>
                <cpix:ContentKey kid="\(v)" commonEncryptionScheme="cenc"/>
                <cpix:ContentKey kid="\(a)" commonEncryptionScheme="cenc"/>
              </cpix:ContentKeyList>
              <cpix:DRMSystemList>
                <cpix:DRMSystem kid="\(v)" systemId="\(pr)"><cpix:PSSH/><cpix:SmoothStreamingProtectionHeaderData/></cpix:DRMSystem>
                <cpix:DRMSystem kid="\(a)" systemId="\(pr)"><cpix:PSSH/><cpix:SmoothStreamingProtectionHeaderData/></cpix:DRMSystem>
              </cpix:DRMSystemList>
              <cpix:ContentKeyUsageRuleList>
                <cpix:ContentKeyUsageRule kid="\(v)" intendedTrackType="VIDEO"><cpix:VideoFilter/></cpix:ContentKeyUsageRule>
                <cpix:ContentKeyUsageRule kid="\(a)" intendedTrackType="AUDIO"><cpix:AudioFilter/></cpix:ContentKeyUsageRule>
              </cpix:ContentKeyUsageRuleList>
            </cpix:CPIX>

            """
    }

    /// The keys of a CPIX response for the requested KIDs. Errors are one line and never hold a key.
    public static func parseResponse(_ body: [UInt8], video: KeyID, audio: KeyID) throws(ProtectionError) -> (video: ContentKey, audio: ContentKey) {
        guard body.count <= 4 << 20 else { throw .keyServer("response larger than 4 MiB") }
        var scanner = TagScanner(String(decoding: body, as: UTF8.self))
        var keys: [KeyID: [UInt8]] = [:]
        var stack: [String] = []
        var currentKID: KeyID?
        var sawRoot = false
        var badKey: KeyID?  // reported once the document is known to be complete
        while let token = try scanner.next() {
            switch token {
            case .open(let name, let attributes, let selfClosing):
                if stack.isEmpty {
                    guard name == "CPIX" else { throw .keyServer("malformed response: root element is <\(name.prefix(40))>, expected CPIX") }
                    sawRoot = true
                }
                if name == "ContentKey" {
                    guard let kid = attributes["kid"] else { throw .keyServer("malformed response: a ContentKey has no kid") }
                    do { currentKID = try KeyID(hex: kid) } catch { throw .keyServer("malformed response: ContentKey kid \"\(kid.prefix(40))\"") }
                }
                if name == "EncryptedValue" { throw .keyServer("the response holds encrypted content keys, which are not supported") }
                if !selfClosing { stack.append(name) }
            case .close(let name):
                guard stack.last == name else { throw .keyServer("malformed response: </\(name.prefix(40))> does not close <\(stack.last ?? "")>") }
                stack.removeLast()
                if name == "ContentKey" { currentKID = nil }
            case .text(let text):
                guard stack.last == "PlainValue", stack.contains("ContentKey"), let kid = currentKID else { continue }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard let data = Data(base64Encoded: trimmed), data.count == 16 else {
                    badKey = badKey ?? kid
                    continue
                }
                keys[kid] = Array(data)
            }
        }
        guard sawRoot, stack.isEmpty else { throw .keyServer("malformed response: not a complete CPIX document") }
        if let badKey { throw .keyServer("the key for KID \(badKey) is not 16 bytes of base64") }
        func key(_ kid: KeyID) throws(ProtectionError) -> ContentKey {
            guard let bytes = keys[kid] else { throw .keyServer("the response has no key for KID \(kid)") }
            return ContentKey(kid: kid, key: try SecretKey(bytes))
        }
        return (try key(video), try key(audio))
    }
}

/// A small XML tokenizer for CPIX answers: start/end tags by local name (prefixes dropped), attributes by
/// local name, text with the five predefined entities decoded. Comments, processing instructions and
/// CDATA-free documents only; anything else is a malformed response.
struct TagScanner {
    enum Token {
        case open(String, [String: String], selfClosing: Bool)
        case close(String)
        case text(String)
    }

    private let chars: [Character]
    private var i = 0

    init(_ text: String) { chars = Array(text) }

    mutating func next() throws(ProtectionError) -> Token? {
        guard i < chars.count else { return nil }
        if chars[i] != "<" {
            let start = i
            while i < chars.count, chars[i] != "<" { i += 1 }
            return .text(Self.decode(String(chars[start..<i])))
        }
        if starts(with: "<?") { try skip(past: "?>"); return try next() }
        if starts(with: "<!--") { try skip(past: "-->"); return try next() }
        if starts(with: "<!") { throw .keyServer("malformed response: DOCTYPE or CDATA is not accepted") }
        let start = i + 1
        try skip(past: ">")
        var inner = String(chars[start..<(i - 1)])
        if inner.hasPrefix("/") {
            return .close(Self.local(String(inner.dropFirst()).trimmingCharacters(in: .whitespaces)))
        }
        let selfClosing = inner.hasSuffix("/")
        if selfClosing { inner.removeLast() }
        let parts = inner.split(maxSplits: 1, whereSeparator: { $0.isWhitespace })
        guard let name = parts.first, !name.isEmpty else { throw .keyServer("malformed response: empty tag") }
        var attributes: [String: String] = [:]
        if parts.count > 1 {
            var rest = Substring(parts[1])
            while let eq = rest.firstIndex(of: "=") {
                let key = rest[..<eq].trimmingCharacters(in: .whitespacesAndNewlines)
                var after = rest[rest.index(after: eq)...].drop(while: { $0.isWhitespace })
                guard let quote = after.first, quote == "\"" || quote == "'" else {
                    throw .keyServer("malformed response: unquoted attribute in <\(name.prefix(40))>")
                }
                after = after.dropFirst()
                guard let end = after.firstIndex(of: quote) else { throw .keyServer("malformed response: unterminated attribute") }
                attributes[Self.local(key)] = Self.decode(String(after[..<end]))
                rest = after[after.index(after: end)...]
            }
        }
        return .open(Self.local(String(name)), attributes, selfClosing: selfClosing)
    }

    private func starts(with s: String) -> Bool {
        let p = Array(s)
        return i + p.count <= chars.count && Array(chars[i..<(i + p.count)]) == p
    }

    private mutating func skip(past end: String) throws(ProtectionError) {
        let p = Array(end)
        while i + p.count <= chars.count {
            if Array(chars[i..<(i + p.count)]) == p { i += p.count; return }
            i += 1
        }
        throw .keyServer("malformed response: unterminated markup")
    }

    static func local(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    static func decode(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
