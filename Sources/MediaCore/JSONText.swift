/// JSON text helpers shared by the writers that build JSON by hand (the box dump, the CloudFront template).
public enum JSONText {
    /// `s` as a JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped, everything
    /// else, non-ASCII included, as it is.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
