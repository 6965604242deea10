/// Caps for reading manifests from untrusted bytes. Every cap is checked before the memory it guards is used.
public struct ReadLimits: Sendable, Equatable {
    /// Largest document accepted, in bytes (a 24-hour `.ismc` with 2 s fragments is about 1 MB).
    public var maxBytes: Int
    /// Deepest element nesting.
    public var maxDepth: Int
    /// Most elements in the document.
    public var maxElements: Int
    /// Most attributes on one element.
    public var maxAttributes: Int
    /// Most fragments of one StreamIndex after expanding `r`.
    public var maxChunksPerStream: Int
    /// Most fragments of all StreamIndexes together after expanding `r` (one `<c r="…"/>` is ~20 bytes, so
    /// without it a 1 MB document of 50 000 streams could ask for 5·10^10 fragments).
    public var maxChunks: Int

    /// Creates limits; the defaults suit any real VOD presentation.
    public init(maxBytes: Int = 16 << 20, maxDepth: Int = 32, maxElements: Int = 500_000, maxAttributes: Int = 64,
                maxChunksPerStream: Int = 1_000_000, maxChunks: Int = 4_000_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxAttributes = maxAttributes
        self.maxChunksPerStream = maxChunksPerStream
        self.maxChunks = maxChunks
    }
}

/// A parsed element (internal DOM of the strict reader).
struct XMLNode: Sendable, Equatable {
    var name: String
    var attributes: [(name: String, value: String)]
    var children: [XMLNode]
    /// Byte offset of the start tag, for error messages.
    var offset: Int

    static func == (a: XMLNode, b: XMLNode) -> Bool {
        a.name == b.name && a.children == b.children && a.offset == b.offset
            && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
    }

    /// Name without a namespace prefix.
    var localName: Substring {
        if let i = name.lastIndex(of: ":") { return name[name.index(after: i)...] }
        return name[...]
    }

    func attribute(_ n: String) -> String? { attributes.first { $0.name == n }?.value }
}

/// A small strict XML 1.0 parser for manifests: elements, attributes, character data, comments,
/// CDATA, processing instructions, the five predefined entities and character references.
/// A DOCTYPE is refused (no entity expansion, no external fetches). Text content is checked but dropped.
struct XMLReader {
    private let b: [UInt8]
    private var i = 0
    private let limits: ReadLimits
    private var elements = 0

    /// Decodes UTF-8 (optional BOM) or UTF-16 with a BOM, checks size and characters, parses.
    static func parse(_ data: some Collection<UInt8>, limits: ReadLimits) throws(ManifestError) -> XMLNode {
        guard data.count <= limits.maxBytes else {
            throw ManifestError(.limitExceeded, "document", "\(data.count) bytes exceed the \(limits.maxBytes)-byte cap")
        }
        var reader = XMLReader(bytes: try decodeText(Array(data)), limits: limits)
        return try reader.document()
    }

    private init(bytes: [UInt8], limits: ReadLimits) {
        self.b = bytes
        self.limits = limits
    }

    /// UTF-8 bytes of the document, validated.
    static func decodeText(_ raw: [UInt8]) throws(ManifestError) -> [UInt8] {
        var bytes = raw
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes.removeFirst(3)
        } else if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            guard bytes.count % 2 == 0 else {
                throw ManifestError(.unsupportedEncoding, "document", "UTF-16 text with an odd byte count")
            }
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2 - 1)
            var k = 2
            while k + 1 < bytes.count {
                let (x, y) = (UInt16(bytes[k]), UInt16(bytes[k + 1]))
                units.append(little ? (y << 8 | x) : (x << 8 | y))
                k += 2
            }
            var out: [UInt8] = []
            var it = units.makeIterator()
            var dec = UTF16()
            loop: while true {
                switch dec.decode(&it) {
                case .scalarValue(let s): UTF8.encode(s) { out.append($0) }
                case .emptyInput: break loop
                case .error: throw ManifestError(.unsupportedEncoding, "document", "invalid UTF-16")
                }
            }
            bytes = out
        }
        var it = bytes.makeIterator()
        var dec = UTF8()
        var offset = 0
        loop: while true {
            switch dec.decode(&it) {
            case .scalarValue(let s):
                guard isXMLChar(s.value) else {
                    throw ManifestError(.malformedXML, "byte \(offset)", "character U+\(String(s.value, radix: 16)) is not allowed in XML")
                }
                offset += UTF8.width(s)
            case .emptyInput: break loop
            case .error: throw ManifestError(.unsupportedEncoding, "byte \(offset)", "invalid UTF-8")
            }
        }
        return bytes
    }

    static func isXMLChar(_ v: UInt32) -> Bool {
        v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD)
            || (v >= 0x10000 && v <= 0x10FFFF)
    }

    // MARK: - Grammar

    private func fail(_ detail: String) -> ManifestError { ManifestError(.malformedXML, "byte \(i)", detail) }

    private func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        let p = s.utf8Start
        for k in 0..<n where b[i + k] != p[k] { return false }
        return true
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x9 || b[i] == 0xA || b[i] == 0xD { i += 1 }
    }

    /// Advances past `terminator`; throws when it never comes.
    private mutating func skip(past terminator: StaticString, what: String) throws(ManifestError) {
        while i < b.count {
            if starts(terminator) { i += terminator.utf8CodeUnitCount; return }
            i += 1
        }
        throw fail("unterminated \(what)")
    }

    /// Comments, PIs and whitespace between markup (prolog and epilog).
    private mutating func misc() throws(ManifestError) {
        while true {
            skipSpace()
            if starts("<!--") {
                i += 4
                try skip(past: "-->", what: "comment")
            } else if starts("<?") {
                i += 2
                try skip(past: "?>", what: "processing instruction")
            } else {
                return
            }
        }
    }

    mutating func document() throws(ManifestError) -> XMLNode {
        try misc()
        if starts("<!") { throw fail("DOCTYPE and other declarations are not accepted") }
        guard i < b.count, b[i] == UInt8(ascii: "<") else { throw fail("expected the root element") }
        let root = try element(depth: 1)
        try misc()
        guard i == b.count else { throw fail("content after the root element") }
        return root
    }

    private static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || c == 0x3A || c >= 0x80
    }

    private static func isNameChar(_ c: UInt8) -> Bool {
        isNameStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2E
    }

    private mutating func name() throws(ManifestError) -> String {
        let start = i
        guard i < b.count, Self.isNameStart(b[i]) else { throw fail("expected a name") }
        while i < b.count, Self.isNameChar(b[i]) {
            i += 1
            guard i - start <= 256 else { throw ManifestError(.limitExceeded, "byte \(start)", "name longer than 256 bytes") }
        }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    private mutating func element(depth: Int) throws(ManifestError) -> XMLNode {
        guard depth <= limits.maxDepth else {
            throw ManifestError(.limitExceeded, "byte \(i)", "elements nested deeper than \(limits.maxDepth)")
        }
        elements += 1
        guard elements <= limits.maxElements else {
            throw ManifestError(.limitExceeded, "byte \(i)", "more than \(limits.maxElements) elements")
        }
        let offset = i
        i += 1 // "<"
        var node = XMLNode(name: try name(), attributes: [], children: [], offset: offset)
        while true {
            let hadSpace = i < b.count && (b[i] == 0x20 || b[i] == 0x9 || b[i] == 0xA || b[i] == 0xD)
            skipSpace()
            guard i < b.count else { throw fail("unterminated start tag <\(node.name)>") }
            if starts("/>") { i += 2; return node }
            if b[i] == UInt8(ascii: ">") { i += 1; break }
            guard hadSpace else { throw fail("expected whitespace before an attribute") }
            let an = try name()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("expected = after attribute \(an)") }
            i += 1
            skipSpace()
            guard i < b.count, b[i] == 0x22 || b[i] == 0x27 else { throw fail("expected a quoted value for \(an)") }
            let value = try characters(until: b[i], attribute: true)
            guard !node.attributes.contains(where: { $0.name == an }) else { throw fail("duplicate attribute \(an)") }
            guard node.attributes.count < limits.maxAttributes else {
                throw ManifestError(.limitExceeded, "byte \(i)", "more than \(limits.maxAttributes) attributes on <\(node.name)>")
            }
            node.attributes.append((an, value))
        }
        // Content.
        while true {
            guard i < b.count else { throw fail("unterminated element <\(node.name)>") }
            if starts("</") {
                i += 2
                let end = try name()
                guard end == node.name else { throw fail("</\(end)> closes <\(node.name)>") }
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("expected > after </\(end)") }
                i += 1
                return node
            } else if starts("<!--") {
                i += 4
                try skip(past: "-->", what: "comment")
            } else if starts("<![CDATA[") {
                i += 9
                try skip(past: "]]>", what: "CDATA section")
            } else if starts("<?") {
                i += 2
                try skip(past: "?>", what: "processing instruction")
            } else if starts("<!") {
                throw fail("declaration inside an element")
            } else if b[i] == UInt8(ascii: "<") {
                node.children.append(try element(depth: depth + 1))
            } else {
                _ = try characters(until: UInt8(ascii: "<"), attribute: false)
            }
        }
    }

    /// An attribute value (starting at the quote, consuming the closing quote) or character data
    /// (up to, not including, `<`). Decodes references; attribute values get whitespace normalised.
    private mutating func characters(until stop: UInt8, attribute: Bool) throws(ManifestError) -> String {
        if attribute { i += 1 }
        var out: [UInt8] = []
        while true {
            guard i < b.count else {
                if attribute { throw fail("unterminated attribute value") }
                break
            }
            let c = b[i]
            if c == stop {
                if attribute { i += 1 }
                break
            }
            if c == UInt8(ascii: "<") { throw fail("< in an attribute value") }
            if c == UInt8(ascii: "&") {
                try reference(into: &out)
                continue
            }
            if attribute && (c == 0x9 || c == 0xA || c == 0xD) {
                out.append(0x20)
            } else if attribute || out.count < 1 << 16 {
                out.append(c)
            }
            i += 1
        }
        return attribute ? String(decoding: out, as: UTF8.self) : ""
    }

    private mutating func reference(into out: inout [UInt8]) throws(ManifestError) {
        let start = i
        i += 1
        while i < b.count, b[i] != UInt8(ascii: ";"), i - start < 12 { i += 1 }
        guard i < b.count, b[i] == UInt8(ascii: ";") else { i = start; throw fail("unterminated reference") }
        let body = Array(b[(start + 1)..<i])
        i += 1
        switch String(decoding: body, as: UTF8.self) {
        case "amp": out.append(UInt8(ascii: "&"))
        case "lt": out.append(UInt8(ascii: "<"))
        case "gt": out.append(UInt8(ascii: ">"))
        case "quot": out.append(UInt8(ascii: "\""))
        case "apos": out.append(UInt8(ascii: "'"))
        default:
            guard body.first == UInt8(ascii: "#"), body.count >= 2 else {
                i = start
                throw fail("unknown entity reference")
            }
            let hex = body[1] == UInt8(ascii: "x")
            let digits = body.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty, let v = UInt32(String(decoding: digits, as: UTF8.self), radix: hex ? 16 : 10),
                  Self.isXMLChar(v), let scalar = Unicode.Scalar(v) else {
                i = start
                throw fail("invalid character reference")
            }
            UTF8.encode(scalar) { out.append($0) }
        }
    }
}
