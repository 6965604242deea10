/// WebVTT (W3C WebVTT §4): the `WEBVTT` signature, a header (an HLS `X-TIMESTAMP-MAP` is applied), then
/// `NOTE`, `STYLE` and `REGION` blocks (skipped) and cues (`[id]`, `start --> end [settings]`, payload).
/// Cue settings (position, line, align) are dropped with a warning.
public enum WebVTTParser {
    public static func parse(_ text: String, file: String, limits: CaptionLimits = CaptionLimits())
        throws(CaptionError) -> CaptionTrack
    {
        var lines = NumberedLines(text)
        guard !lines.isAtEnd, lines.current.hasPrefix("WEBVTT"),
              lines.current.count == 6 || [" ", "\t"].contains(lines.current.dropFirst(6).first) else {
            throw CaptionError(file: file, line: 1, "not WebVTT: the first line must be WEBVTT")
        }
        var out = CueCollector(file: file, limits: limits)
        var offset: Int64 = 0
        var language: String?
        for header in lines.block().dropFirst() {
            if header.hasPrefix("X-TIMESTAMP-MAP=") {
                guard let map = timestampMap(header.dropFirst(16)) else {
                    throw CaptionError(file: file, line: lines.lineNumber - 1, "bad X-TIMESTAMP-MAP \"\(header.prefix(60))\"")
                }
                offset = map
            } else if header.hasPrefix("Language:") {
                language = String(header.dropFirst(9).trimmingSpaces)
            }
        }
        while true {
            lines.skipBlank()
            if lines.isAtEnd { break }
            let first = lines.lineNumber
            let block = lines.block()
            guard let head = block.first else { continue }
            if head.hasPrefix("NOTE") || head == "STYLE" || head == "REGION" { continue }
            var rest = block
            if !head.contains("-->") { rest = rest.dropFirst() }
            let timingLine = first + (block.count - rest.count)
            guard let timing = rest.first, let parsed = TimingLine.parse(timing, hoursOptional: true) else {
                throw CaptionError(file: file, line: first, "expected a cue time line like 00:01.000 --> 00:02.500")
            }
            guard let (start, end) = parsed else {
                throw CaptionError(file: file, line: timingLine, "bad time stamp in \"\(timing.prefix(60))\"")
            }
            if timing.split(separator: " ").count > 3 { out.droppedStyling = true }
            let body = rest.dropFirst().joined(separator: "\n")
            let spans = InlineMarkup.parse(body[...], entities: true, droppedStyling: &out.droppedStyling)
            let (s, e) = (start + offset, end + offset)
            guard s >= 0 else { throw CaptionError(file: file, line: timingLine, "cue starts before 0 after X-TIMESTAMP-MAP") }
            try out.add(start: s, end: e, lines: spans, line: timingLine)
        }
        return out.finish(.webvtt, language: language)
    }

    /// `MPEGTS:<90 kHz>,LOCAL:<time>` (either order) as the offset added to cue times, 10 MHz units.
    static func timestampMap(_ s: Substring) -> Int64? {
        var mpegts: Int64?, local: Int64?
        for part in s.split(separator: ",") {
            if part.hasPrefix("MPEGTS:"), let v = Int64(part.dropFirst(7)), v >= 0, v < 1 << 33 { mpegts = v }
            else if part.hasPrefix("LOCAL:") { local = Timecode.clock(part.dropFirst(6), hoursOptional: true) }
            else { return nil }
        }
        guard let m = mpegts, let l = local else { return nil }
        return m * 1000 / 9 - l  // 90 kHz → 10 MHz: × 10⁷ / 90000
    }
}
