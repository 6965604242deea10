/// Lines of decoded caption text with their 1-based numbers, shared by the SRT and WebVTT parsers.
struct NumberedLines {
    var lines: [Substring]
    var position = 0

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...].map { $0 }
    }

    var isAtEnd: Bool { position >= lines.count }
    /// 1-based number of the current line.
    var lineNumber: Int { position + 1 }
    var current: Substring { lines[position] }

    mutating func skipBlank() {
        while !isAtEnd && current.allSatisfy({ $0 == " " || $0 == "\t" }) { position += 1 }
    }

    /// The lines up to the next blank line (or the end), consumed.
    mutating func block() -> ArraySlice<Substring> {
        let start = position
        while !isAtEnd && !current.allSatisfy({ $0 == " " || $0 == "\t" }) { position += 1 }
        return lines[start..<position]
    }
}

/// A `start --> end` line: the two times and whatever follows the end (cue settings).
enum TimingLine {
    static func parse(_ line: Substring, hoursOptional: Bool) -> (start: Int64, end: Int64)?? {
        guard let arrow = line.indices.first(where: { line[$0...].hasPrefix("-->") }) else { return .none }
        let left = line[..<arrow].trimmingSpaces
        let right = line[line.index(arrow, offsetBy: 3)...].trimmingSpaces
        let endText = right.prefix { $0 != " " && $0 != "\t" }
        guard let s = Timecode.clock(left, hoursOptional: hoursOptional),
              let e = Timecode.clock(endText, hoursOptional: hoursOptional) else { return .some(nil) }
        return .some((s, e))
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

/// Collects cues with the checks every format shares: end after start, the cue and text caps.
struct CueCollector {
    let file: String
    let limits: CaptionLimits
    var cues: [Cue] = []
    var warnings: [CaptionWarning] = []
    var droppedStyling = false

    init(file: String, limits: CaptionLimits) {
        self.file = file
        self.limits = limits
    }

    mutating func add(start: Int64, end: Int64, lines: [[CueSpan]], line: Int) throws(CaptionError) {
        guard start <= Timecode.maxTime, end <= Timecode.maxTime else {
            throw CaptionError(file: file, line: line, "time past 1000 hours")
        }
        if end < start {
            throw CaptionError(file: file, line: line,
                               "cue ends at \(Timecode.webVTT(end)) before it starts at \(Timecode.webVTT(start))")
        }
        let text = lines.trimmedLines()
        if end == start || text.isEmpty {
            warnings.append(CaptionWarning(CaptionLocation(file: file, line: line),
                                           end == start ? "cue of zero duration left out" : "cue without text left out"))
            return
        }
        let characters = text.reduce(0) { $0 + $1.reduce(0) { $0 + $1.text.unicodeScalars.count } }
        guard characters <= limits.maxCueCharacters else {
            throw CaptionError(file: file, line: line, "cue of \(characters) characters, over the \(limits.maxCueCharacters) limit")
        }
        guard cues.count < limits.maxCues else {
            throw CaptionError(file: file, line: line, "more than \(limits.maxCues) cues")
        }
        cues.append(Cue(start: start, end: end, lines: text))
    }

    /// The track: cues sorted by start (a warning when the file was out of order).
    func finish(_ format: CaptionFormat, language: String? = nil) -> CaptionTrack {
        var warnings = self.warnings
        var cues = self.cues
        if zip(cues, cues.dropFirst()).contains(where: { $0.start > $1.start }) {
            cues = cues.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
            warnings.append(CaptionWarning(CaptionLocation(file: file, line: 0), "cues out of order: sorted by start time"))
        }
        if droppedStyling {
            warnings.append(CaptionWarning(CaptionLocation(file: file, line: 0),
                                           "styling other than line breaks, italics and bold dropped"))
        }
        return CaptionTrack(format: format, cues: cues, warnings: warnings, declaredLanguage: language)
    }
}
