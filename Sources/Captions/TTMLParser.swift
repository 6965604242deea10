/// TTML 1/2, IMSC and DFXP documents (`<tt>` in any of the TTML namespaces): `p` elements with
/// `begin`/`end`/`dur` (relative to their `body`/`div` ancestors, `ttp:timeBase="media"`), text with `br`
/// line breaks, `span`s styled italic or bold directly or through referenced `style`s. Times may be clock
/// times (`HH:MM:SS.fff`, `HH:MM:SS:FF` with `ttp:frameRate`) or offsets (`1.5s`, `200ms`, `30f`, `9000t`
/// with `ttp:tickRate`). Regions, colours and positions are dropped with a warning.
public enum TTMLParser {
    static let ttmlNamespaces = [
        "http://www.w3.org/ns/ttml", "http://www.w3.org/2006/10/ttaf1", "http://www.w3.org/2006/04/ttaf1",
        "http://www.w3.org/2006/10/ttaf1#", "",
    ]
    static let styleNamespaces = [
        "http://www.w3.org/ns/ttml#styling", "http://www.w3.org/2006/10/ttaf1#styling",
        "http://www.w3.org/2006/10/ttaf1#style", "http://www.w3.org/2006/04/ttaf1#styling",
    ]
    static let parameterNamespaces = [
        "http://www.w3.org/ns/ttml#parameter", "http://www.w3.org/2006/10/ttaf1#parameter",
        "http://www.w3.org/2006/04/ttaf1#parameter",
    ]

    struct Rates {
        var frameRate: Int64 = 30
        var multiplier: (Int64, Int64) = (1, 1)
        var tickRate: Int64 = 1
        var subFrameRate: Int64 = 1
    }

    struct Style { var italic: Bool?; var bold: Bool? }

    public static func parse(_ text: String, file: String, limits: CaptionLimits = CaptionLimits())
        throws(CaptionError) -> CaptionTrack
    {
        let root = try MiniXML.parse(text, file: file, limits: limits)
        guard root.localName == "tt", ttmlNamespaces.contains(root.namespace) else {
            throw CaptionError(file: file, line: root.line, "not TTML: the root element is <\(root.localName)>, expected <tt>")
        }
        var rates = Rates()
        if let v = root.attribute("timeBase", namespaces: parameterNamespaces), v != "media" {
            throw CaptionError(file: file, line: root.line, "ttp:timeBase=\"\(v.prefix(20))\" is not supported (only media)")
        }
        if let v = root.attribute("frameRate", namespaces: parameterNamespaces) {
            guard let r = Int64(v), (1...1000).contains(r) else {
                throw CaptionError(file: file, line: root.line, "bad ttp:frameRate \"\(v.prefix(20))\"")
            }
            rates.frameRate = r
            rates.tickRate = r
        }
        if let v = root.attribute("frameRateMultiplier", namespaces: parameterNamespaces) {
            let parts = v.split(separator: " ").compactMap { Int64($0) }
            guard parts.count == 2, (1...100_000).contains(parts[0]), (1...100_000).contains(parts[1]) else {
                throw CaptionError(file: file, line: root.line, "bad ttp:frameRateMultiplier \"\(v.prefix(20))\"")
            }
            rates.multiplier = (parts[0], parts[1])
        }
        if let v = root.attribute("subFrameRate", namespaces: parameterNamespaces) {
            guard let r = Int64(v), (1...1000).contains(r) else {
                throw CaptionError(file: file, line: root.line, "bad ttp:subFrameRate \"\(v.prefix(20))\"")
            }
            rates.subFrameRate = r
        }
        if let v = root.attribute("tickRate", namespaces: parameterNamespaces) {
            guard let r = Int64(v), (1...10_000_000_000).contains(r) else {
                throw CaptionError(file: file, line: root.line, "bad ttp:tickRate \"\(v.prefix(20))\"")
            }
            rates.tickRate = r
        }
        var state = State(file: file, rates: rates, out: CueCollector(file: file, limits: limits))
        for case .element(let part) in root.children where part.localName == "head" {
            for case .element(let styling) in part.children where styling.localName == "styling" {
                for case .element(let s) in styling.children where s.localName == "style" {
                    if let id = s.attribute("id", namespace: MiniXML.xmlNamespace) { state.styleElements[id] = s }
                }
            }
        }
        for case .element(let body) in root.children where body.localName == "body" {
            try state.timed(body, parentBegin: 0, parentEnd: nil, style: Style(), preserve: false)
        }
        return state.out.finish(.ttml, language: root.attribute("lang", namespace: MiniXML.xmlNamespace))
    }

    struct State {
        let file: String
        let rates: Rates
        var out: CueCollector
        var styleElements: [String: XMLElement] = [:]

        /// Style of `e` on top of `inherited`: referenced styles first, then its own attributes.
        func style(of e: XMLElement, inherited: Style, depth: Int = 0) -> Style {
            var s = inherited
            if depth < 8, let refs = e.attribute("style") {
                for id in refs.split(separator: " ") {
                    if let r = styleElements[String(id)] { s = style(of: r, inherited: s, depth: depth + 1) }
                }
            }
            if let v = e.attribute("fontStyle", namespaces: TTMLParser.styleNamespaces) { s.italic = v == "italic" || v == "oblique" }
            if let v = e.attribute("fontWeight", namespaces: TTMLParser.styleNamespaces) { s.bold = v == "bold" }
            return s
        }

        func time(_ e: XMLElement, _ name: String) throws(CaptionError) -> Int64? {
            guard let v = e.attribute(name) else { return nil }
            guard let t = TTMLParser.time(v, rates) else {
                throw CaptionError(file: file, line: e.line, "bad \(name) time \"\(v.prefix(40))\"")
            }
            return t
        }

        /// `begin`, `end` of `e` on the document timeline (par containers: relative to the parent's begin).
        func interval(_ e: XMLElement, parentBegin: Int64, parentEnd: Int64?) throws(CaptionError) -> (Int64, Int64?) {
            let begin = parentBegin + (try time(e, "begin") ?? 0)
            var end: Int64? = try time(e, "end").map { parentBegin + $0 }
            if let d = try time(e, "dur") { end = min(end ?? Int64.max, begin + d) }
            if let p = parentEnd { end = min(end ?? p, p) }
            return (begin, end)
        }

        mutating func timed(_ e: XMLElement, parentBegin: Int64, parentEnd: Int64?, style inherited: Style,
                            preserve: Bool) throws(CaptionError) {
            let (begin, end) = try interval(e, parentBegin: parentBegin, parentEnd: parentEnd)
            let s = style(of: e, inherited: inherited)
            let keep = e.attribute("space", namespace: MiniXML.xmlNamespace).map { $0 == "preserve" } ?? preserve
            if e.localName == "p" {
                guard let end else {
                    throw CaptionError(file: file, line: e.line, "<p> has no end or dur and no ancestor ends it")
                }
                var lines: [[CueSpan]] = [[]]
                text(e, style: s, preserve: keep, into: &lines)
                try out.add(start: begin, end: end, lines: lines.map(Self.collapse), line: e.line)
                return
            }
            if e.attribute("region") != nil || e.attribute("origin", namespaces: TTMLParser.styleNamespaces) != nil {
                out.droppedStyling = true
            }
            for case .element(let child) in e.children where child.localName == "div" || child.localName == "p" {
                try timed(child, parentBegin: begin, parentEnd: end, style: s, preserve: keep)
            }
        }

        /// Appends the text of `e` to the last line; `br` starts a new line; preserved newlines do too.
        func text(_ e: XMLElement, style: Style, preserve: Bool, into lines: inout [[CueSpan]]) {
            for child in e.children {
                switch child {
                case .text(let t):
                    let parts = preserve ? t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) : [t]
                    for (k, part) in parts.enumerated() {
                        if k > 0 { lines.append([]) }
                        lines[lines.count - 1].append(CueSpan(part, italic: style.italic ?? false, bold: style.bold ?? false))
                    }
                case .element(let c):
                    switch c.localName {
                    case "br": lines.append([])
                    case "span":
                        let keep = c.attribute("space", namespace: MiniXML.xmlNamespace).map { $0 == "preserve" } ?? preserve
                        text(c, style: self.style(of: c, inherited: style), preserve: keep, into: &lines)
                    default: break  // metadata, animation: no text
                    }
                }
            }
        }

        /// XML default white space handling: runs collapse to one space, trimmed at line ends; equal
        /// neighbouring spans merge.
        static func collapse(_ line: [CueSpan]) -> [CueSpan] {
            var out: [CueSpan] = []
            var lastWasSpace = true
            for span in line {
                var t = String.UnicodeScalarView()
                for u in span.text.unicodeScalars {
                    // XML white space is exactly space, tab, CR and LF (XML 1.0 §2.3); NBSP and the rest stay.
                    if u == " " || u == "\t" || u == "\n" || u == "\r" {
                        if !lastWasSpace { t.append(" ") }
                        lastWasSpace = true
                    } else if !InlineMarkup.isForbidden(u) {
                        t.append(u)
                        lastWasSpace = false
                    }
                }
                let text = String(t)
                if text.isEmpty { continue }
                if let l = out.last, l.italic == span.italic, l.bold == span.bold { out[out.count - 1].text += text }
                else { out.append(CueSpan(text, italic: span.italic, bold: span.bold)) }
            }
            while let l = out.last, l.text.unicodeScalars.last == " " {
                out[out.count - 1].text.unicodeScalars.removeLast()
                if out[out.count - 1].text.isEmpty { out.removeLast() }
            }
            return out
        }
    }

    /// A TTML time expression in 10 MHz units, or nil.
    static func time(_ raw: String, _ rates: Rates) -> Int64? {
        let s = raw.trimmingCharacters()
        let u = Array(s.utf8)
        guard !u.isEmpty, u.count <= 40 else { return nil }
        let frameUnits: (Int64) -> Int64 = { frames in
            // frames / (frameRate × num/den) seconds
            frames * Timecode.unitsPerSecond * rates.multiplier.1 / (rates.frameRate * rates.multiplier.0)
        }
        if u.contains(UInt8(ascii: ":")) {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3 || parts.count == 4 else { return nil }
            if parts.count == 3 { return Timecode.clock(s[...], hoursOptional: false, fractionRequired: false) }
            guard let base = Timecode.clock(parts[0...2].joined(separator: ":")[...], hoursOptional: false,
                                            fractionRequired: false), !parts[2].contains(".") else { return nil }
            let fp = parts[3].split(separator: ".", omittingEmptySubsequences: false)
            guard fp.count <= 2, let frames = Int64(fp[0]), frames >= 0, frames < 1000, fp[0].count <= 3 else { return nil }
            var t = base + frameUnits(frames)
            if fp.count == 2 {
                guard let sub = Int64(fp[1]), sub >= 0, sub < rates.subFrameRate else { return nil }
                t += frameUnits(1) * sub / rates.subFrameRate
            }
            return t
        }
        var k = 0
        while k < u.count && (u[k] >= 0x30 && u[k] <= 0x39) { k += 1 }
        guard k > 0, k <= 12 else { return nil }
        let whole = Timecode.digits(u[0..<k])
        var fraction: [UInt8] = []
        if k < u.count && u[k] == UInt8(ascii: ".") {
            k += 1
            let fs = k
            while k < u.count && (u[k] >= 0x30 && u[k] <= 0x39) { k += 1 }
            fraction = Array(u[fs..<k].prefix(9))
            guard !fraction.isEmpty else { return nil }
        }
        let metric = String(decoding: u[k...], as: UTF8.self)
        let seconds: (Int64, Int64)  // numerator/denominator of one unit in seconds
        switch metric {
        case "h": seconds = (3600, 1)
        case "m": seconds = (60, 1)
        case "s": seconds = (1, 1)
        case "ms": seconds = (1, 1000)
        case "f": seconds = (rates.multiplier.1, rates.frameRate * rates.multiplier.0)
        case "t": seconds = (1, rates.tickRate)
        default: return nil
        }
        // (whole + fraction) × num/den seconds, in 10 MHz units; guarded against overflow by the caps above.
        let unitsPerWhole = Timecode.unitsPerSecond * seconds.0
        let (w, o) = whole.multipliedReportingOverflow(by: unitsPerWhole)
        guard !o else { return nil }
        let frac = Timecode.fractionUnits(fraction) * seconds.0
        let (sum, o2) = w.addingReportingOverflow(frac)
        guard !o2 else { return nil }
        let t = sum / seconds.1
        return t <= Timecode.maxTime ? t : nil
    }
}

extension String {
    func trimmingCharacters() -> Substring {
        var s = self[...]
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
