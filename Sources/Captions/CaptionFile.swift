/// Reading a caption file: decode the bytes (``TextDecoding``), pick the parser, then fit the cues to the
/// presentation (``CaptionTrack/clamped(to:file:)``).
public enum CaptionFile {
    /// Parses `bytes` as `format`, or as what the content looks like when `format` is nil. `file` names
    /// the file in warnings and errors (`file:line: reason`).
    public static func parse(_ bytes: [UInt8], format: CaptionFormat?, file: String,
                             limits: CaptionLimits = CaptionLimits()) throws(CaptionError) -> CaptionTrack {
        let (text, decodeWarnings) = try TextDecoding.decode(bytes, file: file, limits: limits)
        let chosen = format ?? sniff(text)
        guard let chosen else {
            throw CaptionError(file: file, line: 1, "not SRT, WebVTT or TTML")
        }
        var track: CaptionTrack
        switch chosen {
        case .srt: track = try SRTParser.parse(text, file: file, limits: limits)
        case .webvtt: track = try WebVTTParser.parse(text, file: file, limits: limits)
        case .ttml: track = try TTMLParser.parse(text, file: file, limits: limits)
        }
        track.warnings = decodeWarnings + track.warnings
        return track
    }

    /// The format the text's start suggests.
    public static func sniff(_ text: String) -> CaptionFormat? {
        let head = text.prefix(512).drop { $0.isWhitespace }
        if head.hasPrefix("WEBVTT") { return .webvtt }
        if head.hasPrefix("<") { return .ttml }
        if head.first?.isNumber == true { return .srt }
        return nil
    }
}

extension CaptionTrack {
    /// The cues fitted to a presentation of `duration` (10 MHz units): a cue that starts at or after the
    /// end is left out, one that runs past it ends at it, each with a warning naming how many.
    public func clamped(to duration: Int64, file: String) -> CaptionTrack {
        var result = self
        var dropped = 0, shortened = 0
        result.cues = cues.compactMap { cue in
            if cue.start >= duration { dropped += 1; return nil }
            if cue.end > duration {
                shortened += 1
                return Cue(start: cue.start, end: duration, lines: cue.lines)
            }
            return cue
        }
        let whole = CaptionLocation(file: file, line: 0)
        let end = Timecode.webVTT(duration)
        if shortened > 0 { result.warnings.append(CaptionWarning(whole, "\(shortened) cue(s) running past the end (\(end)) clamped to it")) }
        if dropped > 0 { result.warnings.append(CaptionWarning(whole, "\(dropped) cue(s) starting after the end (\(end)) left out")) }
        return result
    }

    /// The cues that overlap `[start, end)`, cut to it (the TTML fragment rule).
    public func cues(overlapping start: Int64, _ end: Int64) -> [Cue] {
        cues.compactMap { c in
            guard c.start < end, c.end > start else { return nil }
            return Cue(start: max(c.start, start), end: min(c.end, end), lines: c.lines)
        }
    }
}
