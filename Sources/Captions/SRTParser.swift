/// SubRip (`.srt`): blocks separated by blank lines, each an optional sequence number, a
/// `HH:MM:SS,mmm --> HH:MM:SS,mmm` line (a `.` separator and trailing coordinates are accepted) and text lines.
/// Markup per ``InlineMarkup`` without character references (SRT has none).
public enum SRTParser {
    public static func parse(_ text: String, file: String, limits: CaptionLimits = CaptionLimits())
        throws(CaptionError) -> CaptionTrack
    {
        var lines = NumberedLines(text)
        var out = CueCollector(file: file, limits: limits)
        while true {
            lines.skipBlank()
            if lines.isAtEnd { break }
            let first = lines.lineNumber
            var block = lines.block()
            // An optional counter line; some files lack it or hold junk there, the time line decides.
            var timingLine = first
            if let head = block.first, TimingLine.parse(head, hoursOptional: false) == nil, block.count > 1 {
                block = block.dropFirst()
                timingLine += 1
            }
            guard let timing = block.first else { continue }
            switch TimingLine.parse(timing, hoursOptional: false) {
            case .none:
                throw CaptionError(file: file, line: timingLine,
                                   "expected a time line like 00:00:01,000 --> 00:00:02,500, found \"\(timing.prefix(40))\"")
            case .some(nil):
                throw CaptionError(file: file, line: timingLine, "bad time stamp in \"\(timing.prefix(60))\"")
            case .some(let (start, end)?):
                let body = block.dropFirst().joined(separator: "\n")
                let spans = InlineMarkup.parse(body[...], entities: false, droppedStyling: &out.droppedStyling)
                try out.add(start: start, end: end, lines: spans, line: timingLine)
            }
        }
        return out.finish(.srt)
    }
}
