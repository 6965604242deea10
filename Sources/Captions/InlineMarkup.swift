/// The cue text markup of SRT and WebVTT: `<i>`, `<b>` (kept), `<u>`, `<c…>`, `<v…>`, `<lang…>`, `<ruby>`,
/// `<font…>`, time stamps `<00:01.000>` and ASS-style `{\i1}` overrides (dropped, text kept); character
/// references `&amp; &lt; &gt; &nbsp; &lrm; &rlm; &#…;`. Never fails: what is not markup is text.
enum InlineMarkup {
    /// Lines of spans for `text` (lines separated by `\n`); sets `droppedStyling` when a dropped tag was seen.
    static func parse(_ text: Substring, entities: Bool, droppedStyling: inout Bool) -> [[CueSpan]] {
        var lines: [[CueSpan]] = []
        var italic = 0, bold = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var spans: [CueSpan] = []
            var current = ""
            func flush() {
                if !current.isEmpty {
                    if let last = spans.last, last.italic == (italic > 0), last.bold == (bold > 0) {
                        spans[spans.count - 1].text += current
                    } else {
                        spans.append(CueSpan(current, italic: italic > 0, bold: bold > 0))
                    }
                }
                current = ""
            }
            var i = rawLine.startIndex
            while i < rawLine.endIndex {
                let c = rawLine[i]
                if c == "<", let close = rawLine[i...].firstIndex(of: ">") {
                    let tag = rawLine[rawLine.index(after: i)..<close]
                    let closing = tag.hasPrefix("/")
                    let name = (closing ? tag.dropFirst() : tag).prefix { $0.isLetter || $0.isNumber }.lowercased()
                    let isTimestamp = tag.first?.isNumber == true
                    if name.isEmpty && !isTimestamp {
                        current.append(c)
                        i = rawLine.index(after: i)
                        continue
                    }
                    flush()
                    switch name {
                    case "i": italic = max(0, italic + (closing ? -1 : 1))
                    case "b": bold = max(0, bold + (closing ? -1 : 1))
                    default: droppedStyling = true
                    }
                    i = rawLine.index(after: close)
                    continue
                }
                if c == "{", rawLine[i...].dropFirst().first == "\\", let close = rawLine[i...].firstIndex(of: "}") {
                    let overrides = rawLine[rawLine.index(i, offsetBy: 2)..<close]
                    flush()
                    for o in overrides.split(separator: "\\") {
                        if o == "i1" { italic += 1 } else if o == "i0" { italic = max(0, italic - 1) }
                        else if o == "b1" { bold += 1 } else if o == "b0" { bold = max(0, bold - 1) }
                        else { droppedStyling = true }
                    }
                    i = rawLine.index(after: close)
                    continue
                }
                if entities, c == "&", let semi = rawLine[i...].prefix(12).firstIndex(of: ";"),
                   let decoded = entity(rawLine[rawLine.index(after: i)..<semi])
                {
                    current.append(decoded)
                    i = rawLine.index(after: semi)
                    continue
                }
                if !c.unicodeScalars.contains(where: InlineMarkup.isForbidden) { current.append(c) }
                i = rawLine.index(after: i)
            }
            flush()
            lines.append(spans)
        }
        return lines
    }

    /// Characters no caption output can carry: C0 controls other than tab, U+FFFE, U+FFFF.
    static func isForbidden(_ u: Unicode.Scalar) -> Bool {
        (u.value < 0x20 && u != "\t" && u != "\n") || u.value == 0xFFFE || u.value == 0xFFFF
    }

    /// A named or numeric character reference's text (without `&` and `;`), or nil.
    static func entity(_ name: Substring) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        case "nbsp": return "\u{A0}"
        case "lrm": return "\u{200E}"
        case "rlm": return "\u{200F}"
        default: break
        }
        guard name.hasPrefix("#") else { return nil }
        let body = name.dropFirst()
        let value: UInt32?
        if body.hasPrefix("x") || body.hasPrefix("X") { value = UInt32(body.dropFirst(), radix: 16) } else { value = UInt32(body) }
        guard let v = value, let scalar = Unicode.Scalar(v), !isForbidden(scalar) else { return nil }
        return String(Character(scalar))
    }
}

extension [[CueSpan]] {
    /// Lines with leading/trailing blank lines removed and spans of whitespace-only lines dropped.
    func trimmedLines() -> [[CueSpan]] {
        var lines = self
        while let first = lines.first, first.allSatisfy({ $0.text.allSatisfy(\.isWhitespace) }) { lines.removeFirst() }
        while let last = lines.last, last.allSatisfy({ $0.text.allSatisfy(\.isWhitespace) }) { lines.removeLast() }
        return lines
    }
}
