/// Writes small XML documents from element values: attributes in declared order, escaping, UTF-8,
/// `<?xml version="1.0" encoding="utf-8"?>` header, 2-space indentation, self-closing empty elements.
///
/// Manifests are built as ``XMLWriter/Element`` trees and rendered here; no XML text is assembled
/// by string formatting anywhere else.
public struct XMLWriter: Sendable {
    /// One element: name, ordered attributes, children.
    public struct Element: Sendable, Equatable {
        /// Qualified element name, written verbatim.
        public var name: String
        /// Attributes in the order they are written. A nil value means "absent" and is skipped,
        /// so optional attributes can be listed in their declared position.
        public var attributes: [Attribute]
        /// Child elements.
        public var children: [Element]
        /// Write the children on the same line as the start tag (`<a><b/></a>`), as the
        /// cross-domain policy files do.
        public var inline: Bool
        /// Character data written between the tags (escaped); only for elements without children.
        public var text: String? = nil

        /// Creates an element.
        public init(_ name: String, _ attributes: [Attribute] = [], children: [Element] = [], inline: Bool = false) {
            self.name = name
            self.attributes = attributes
            self.children = children
            self.inline = inline
        }
    }

    /// One attribute; a nil `value` is not written.
    public struct Attribute: Sendable, Equatable {
        /// Attribute name, written verbatim.
        public var name: String
        /// Attribute value (escaped on output); nil omits the attribute.
        public var value: String?

        /// Creates an attribute.
        public init(_ name: String, _ value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// Spaces per nesting level.
    public var indentWidth: Int
    /// Write `<a />` (true, the spelling of Microsoft's manifest examples) or `<a/>`.
    public var spaceBeforeSelfClose: Bool

    /// Creates a writer.
    public init(indentWidth: Int = 2, spaceBeforeSelfClose: Bool = true) {
        self.indentWidth = indentWidth
        self.spaceBeforeSelfClose = spaceBeforeSelfClose
    }

    /// The XML declaration every document starts with.
    public static let declaration = #"<?xml version="1.0" encoding="utf-8"?>"#

    /// Renders a document: declaration, optional DOCTYPE line (written verbatim), the root, final newline.
    public func document(_ root: Element, doctype: String? = nil) -> String {
        var out = Self.declaration + "\n"
        if let doctype { out += doctype + "\n" }
        write(root, level: 0, into: &out)
        out += "\n"
        return out
    }

    /// The document as UTF-8 bytes.
    public func documentBytes(_ root: Element, doctype: String? = nil) -> [UInt8] {
        Array(document(root, doctype: doctype).utf8)
    }

    private func write(_ e: Element, level: Int, into out: inout String) {
        let pad = String(repeating: " ", count: level * indentWidth)
        out += pad
        if let text = e.text, e.children.isEmpty {
            writeTextElement(e, text, into: &out)
            return
        }
        writeTag(e, into: &out)
        if e.children.isEmpty { return }
        if e.inline {
            for c in e.children { writeInline(c, into: &out) }
        } else {
            for c in e.children {
                out += "\n"
                write(c, level: level + 1, into: &out)
            }
            out += "\n" + pad
        }
        out += "</" + e.name + ">"
    }

    private func writeTextElement(_ e: Element, _ text: String, into out: inout String) {
        out += "<" + e.name
        for a in e.attributes {
            guard let v = a.value else { continue }
            out += " " + a.name + "=\"" + Self.escape(v) + "\""
        }
        out += ">" + Self.escape(text) + "</" + e.name + ">"
    }

    private func writeInline(_ e: Element, into out: inout String) {
        if let text = e.text, e.children.isEmpty { return writeTextElement(e, text, into: &out) }
        writeTag(e, into: &out)
        if e.children.isEmpty { return }
        for c in e.children { writeInline(c, into: &out) }
        out += "</" + e.name + ">"
    }

    /// Start tag, or the whole self-closing element when it has no children.
    private func writeTag(_ e: Element, into out: inout String) {
        out += "<" + e.name
        for a in e.attributes {
            guard let v = a.value else { continue }
            out += " " + a.name + "=\"" + Self.escape(v) + "\""
        }
        if e.children.isEmpty {
            out += spaceBeforeSelfClose ? " />" : "/>"
        } else {
            out += ">"
        }
    }

    /// Escapes text for an attribute value or character data: `& < > " '` become entity references,
    /// tab/LF/CR become character references (so attribute-value normalisation keeps them), and
    /// characters XML 1.0 cannot carry at all (other C0 controls, U+FFFE, U+FFFF) become U+FFFD.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t": out += "&#9;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out.unicodeScalars.append("\u{FFFD}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
