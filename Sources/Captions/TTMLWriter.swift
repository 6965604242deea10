/// One TTML document per Smooth text fragment (docs/format.md "Text track"): IMSC 1 text profile shapes,
/// `ttp:timeBase="media"`, times relative to the fragment start (dash.js and Smooth clients add the
/// fragment's time), cues cut to the fragment, and a document with an empty `<body/>` where no cue falls.
public struct TTMLWriter: Sendable {
    /// `xml:lang` (BCP 47, e.g. `en`, `pt-BR`).
    public var language: String

    public init(language: String) { self.language = language }

    /// The document for the fragment `[start, start + duration)` holding `cues` (absolute times; any cue
    /// overlapping the fragment is cut to it).
    public func document(cues: [Cue], fragmentStart start: Int64, duration: Int64) -> [UInt8] {
        let end = start + duration
        var inside: [Cue] = []
        for c in cues where c.start < end && c.end > start {
            inside.append(Cue(start: max(c.start, start) - start, end: min(c.end, end) - start, lines: c.lines))
        }
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\""
        x += " xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" ttp:timeBase=\"media\" xml:lang=\"\(Self.escape(language))\">"
        x += "<head><styling><style xml:id=\"s0\" tts:textAlign=\"center\" tts:color=\"white\""
        x += " tts:backgroundColor=\"black\" tts:fontFamily=\"proportionalSansSerif\"/></styling>"
        x += "<layout><region xml:id=\"r0\" tts:origin=\"10% 10%\" tts:extent=\"80% 80%\" tts:displayAlign=\"after\"/>"
        x += "</layout></head>"
        if inside.isEmpty {
            x += "<body/></tt>\n"
            return Array(x.utf8)
        }
        x += "<body region=\"r0\"><div>"
        for c in inside {
            x += "<p begin=\"\(Timecode.ttmlClock(c.start))\" end=\"\(Timecode.ttmlClock(c.end))\">"
            for (k, line) in c.lines.enumerated() {
                if k > 0 { x += "<br/>" }
                for span in line {
                    var attrs = " style=\"s0\""
                    if span.italic { attrs += " tts:fontStyle=\"italic\"" }
                    if span.bold { attrs += " tts:fontWeight=\"bold\"" }
                    x += "<span\(attrs)>\(Self.escape(span.text))</span>"
                }
            }
            x += "</p>"
        }
        x += "</div></body></tt>\n"
        return Array(x.utf8)
    }

    /// Text for XML content and attribute values: `& < > " '` as references; characters XML 1.0 cannot
    /// carry (C0 controls other than tab and newline, U+FFFE/U+FFFF) are dropped.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n": out.unicodeScalars.append(u)
            case _ where u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
