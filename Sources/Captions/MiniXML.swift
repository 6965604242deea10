/// A small non-validating XML reader for TTML: elements with namespace-resolved names, attributes, text
/// (character data and CDATA), predefined and numeric character references. Comments and processing
/// instructions are skipped; a DOCTYPE is refused (no entity expansion, so no "billion laughs"). Depth and
/// node counts are capped; every node carries its 1-based line for `file:line` errors.
struct XMLElement {
    var namespace: String
    var localName: String
    /// (namespace, local name, value); the namespace is "" for unprefixed attributes.
    var attributes: [(namespace: String, name: String, value: String)]
    var children: [XMLContent]
    var line: Int

    func attribute(_ name: String, namespace: String = "") -> String? {
        attributes.first { $0.name == name && $0.namespace == namespace }?.value
    }
    /// The first attribute with this local name in any of the namespaces (TTML has several generations).
    func attribute(_ name: String, namespaces: [String]) -> String? {
        attributes.first { $0.name == name && namespaces.contains($0.namespace) }?.value
    }
}

enum XMLContent {
    case element(XMLElement)
    case text(String)
}

struct MiniXML {
    static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"
    let file: String
    let maxDepth: Int
    let maxNodes: Int
    private var bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var nodes = 0

    init(text: String, file: String, maxDepth: Int, maxNodes: Int) {
        bytes = Array(text.utf8)
        self.file = file
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// Parses the whole document; returns its root element.
    static func parse(_ text: String, file: String, limits: CaptionLimits) throws(CaptionError) -> XMLElement {
        var p = MiniXML(text: text, file: file, maxDepth: limits.maxDepth, maxNodes: limits.maxCues * 8 + 1000)
        return try p.document()
    }

    private func fail(_ reason: String) -> CaptionError { CaptionError(file: file, line: line, reason) }

    private mutating func document() throws(CaptionError) -> XMLElement {
        var root: XMLElement?
        while true {
            skipWhitespace()
            if i >= bytes.count { break }
            if starts("<?") { try skipPast("?>"); continue }
            if starts("<!--") { try skipPast("-->"); continue }
            if starts("<!DOCTYPE") || starts("<!doctype") { throw fail("DOCTYPE declarations are not accepted in TTML") }
            if starts("<") {
                guard root == nil else { throw fail("a second root element") }
                root = try element(scopes: [["xml": Self.xmlNamespace]], depth: 1)
                continue
            }
            throw fail("text outside the root element")
        }
        guard let root else { throw CaptionError(file: file, line: 1, "no XML root element") }
        return root
    }

    private func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        return s.withUTF8Buffer { buf in (0..<n).allSatisfy { bytes[i + $0] == buf[$0] } }
    }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where i < bytes.count {
            if bytes[i] == 0x0A { line += 1 }
            i += 1
        }
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { advance() }
    }

    private mutating func skipPast(_ end: StaticString) throws(CaptionError) {
        let start = line
        while i < bytes.count && !starts(end) { advance() }
        guard i < bytes.count else { throw CaptionError(file: file, line: start, "unterminated markup") }
        advance(end.utf8CodeUnitCount)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x3A
    }

    private mutating func name() throws(CaptionError) -> String {
        let start = i
        while i < bytes.count && Self.isNameByte(bytes[i]) { i += 1 }
        guard i > start else { throw fail("expected a name") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private static func split(_ qname: String) -> (prefix: String, local: String) {
        guard let colon = qname.firstIndex(of: ":") else { return ("", qname) }
        return (String(qname[..<colon]), String(qname[qname.index(after: colon)...]))
    }

    private mutating func element(scopes: [[String: String]], depth: Int) throws(CaptionError) -> XMLElement {
        guard depth <= maxDepth else { throw fail("elements nested deeper than \(maxDepth)") }
        nodes += 1
        guard nodes <= maxNodes else { throw fail("more than \(maxNodes) XML nodes") }
        let startLine = line
        advance()  // <
        let qname = try name()
        var raw: [(String, String)] = []
        var selfClosing = false
        while true {
            skipWhitespace()
            guard i < bytes.count else { throw fail("unterminated start tag <\(qname)>") }
            if starts("/>") { advance(2); selfClosing = true; break }
            if bytes[i] == UInt8(ascii: ">") { advance(); break }
            let an = try name()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw fail("attribute \(an) has no value") }
            advance()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 0x22 || bytes[i] == 0x27 else { throw fail("attribute \(an) is not quoted") }
            let quote = bytes[i]
            advance()
            let vs = i
            while i < bytes.count && bytes[i] != quote {
                if bytes[i] == UInt8(ascii: "<") { throw fail("'<' in the value of attribute \(an)") }
                advance()
            }
            guard i < bytes.count else { throw fail("unterminated value of attribute \(an)") }
            let value = try unescape(bytes[vs..<i])
            advance()
            guard !raw.contains(where: { $0.0 == an }) else { throw fail("attribute \(an) appears twice") }
            raw.append((an, value))
        }
        var scope = scopes.last ?? [:]
        for (n, v) in raw {
            if n == "xmlns" { scope[""] = v } else if n.hasPrefix("xmlns:") { scope[String(n.dropFirst(6))] = v }
        }
        let (prefix, local) = Self.split(qname)
        guard let ns = scope[prefix] ?? (prefix.isEmpty ? "" : nil) else { throw fail("undeclared prefix \(prefix) on <\(qname)>") }
        var attributes: [(namespace: String, name: String, value: String)] = []
        for (n, v) in raw where n != "xmlns" && !n.hasPrefix("xmlns:") {
            let (p, l) = Self.split(n)
            guard let ans = p.isEmpty ? "" : scope[p] else { throw fail("undeclared prefix \(p) on attribute \(n)") }
            attributes.append((ans, l, v))
        }
        var result = XMLElement(namespace: ns, localName: local, attributes: attributes, children: [], line: startLine)
        if selfClosing { return result }
        var text: [UInt8] = []
        func flushText(_ r: inout XMLElement) throws(CaptionError) {
            if !text.isEmpty { r.children.append(.text(try unescape(text[...]))) }
            text.removeAll()
        }
        let nested = scopes + [scope]
        while true {
            guard i < bytes.count else { throw CaptionError(file: file, line: startLine, "element <\(qname)> is not closed") }
            if starts("</") {
                try flushText(&result)
                advance(2)
                let closing = try name()
                skipWhitespace()
                guard closing == qname, i < bytes.count, bytes[i] == UInt8(ascii: ">") else {
                    throw fail("</\(closing)> does not close <\(qname)> (line \(startLine))")
                }
                advance()
                return result
            }
            if starts("<!--") { try skipPast("-->"); continue }
            if starts("<?") { try skipPast("?>"); continue }
            if starts("<![CDATA[") {
                advance(9)
                let cs = i
                while i < bytes.count && !starts("]]>") { advance() }
                guard i < bytes.count else { throw fail("unterminated CDATA section") }
                // CDATA is literal: escape its ampersands so the shared unescape leaves them alone.
                for b in bytes[cs..<i] { if b == UInt8(ascii: "&") { text += Array("&amp;".utf8) } else { text.append(b) } }
                advance(3)
                continue
            }
            if bytes[i] == UInt8(ascii: "<") {
                try flushText(&result)
                nodes += 1
                result.children.append(.element(try element(scopes: nested, depth: depth + 1)))
                continue
            }
            text.append(bytes[i])
            advance()
        }
    }

    /// Character data with `&…;` references resolved; an unknown entity is refused.
    private func unescape(_ s: ArraySlice<UInt8>) throws(CaptionError) -> String {
        guard s.contains(UInt8(ascii: "&")) else { return String(decoding: s, as: UTF8.self) }
        var out = ""
        var k = s.startIndex
        var plain = k
        while k < s.endIndex {
            if s[k] == UInt8(ascii: "&") {
                out += String(decoding: s[plain..<k], as: UTF8.self)
                guard let semi = s[k...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                    throw fail("bare '&' in text (write &amp;)")
                }
                let name = String(decoding: s[(k + 1)..<semi], as: UTF8.self)
                guard ["amp", "lt", "gt", "quot", "apos"].contains(name) || name.hasPrefix("#"),
                      let text = InlineMarkup.entity(name[...]) else { throw fail("unknown entity &\(name.prefix(20));") }
                out += text
                k = semi + 1
                plain = k
            } else {
                k += 1
            }
        }
        out += String(decoding: s[plain..<s.endIndex], as: UTF8.self)
        return out
    }
}
