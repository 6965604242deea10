/// WebVTT segments for HLS subtitle playlists (RFC 8216 §3.5): each starts with `WEBVTT` and
/// `X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000` (cue times are media times: our media timeline starts at 0
/// and its fragments' `tfdt` are those times), then every cue that overlaps the segment with its full,
/// uncut times, so a cue spanning two segments is the same cue in both (players drop the repeat). Each
/// segment ends with a blank line: FFmpeg's HLS demuxer (5.1) reads a subtitle playlist's segments as one
/// stream, and without it the next segment's `WEBVTT` header became lines of the previous segment's last cue.
public enum WebVTTWriter {
    /// The segment `[start, start + duration)`.
    public static func segment(cues: [Cue], start: Int64, duration: Int64) -> [UInt8] {
        let end = start + duration
        var x = "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n"
        for c in cues where c.start < end && c.end > start {
            x += "\n\(Timecode.webVTT(c.start)) --> \(Timecode.webVTT(c.end))\n"
            x += c.lines.map { line in line.map(span).joined() }.joined(separator: "\n") + "\n"
        }
        return Array((x + "\n").utf8)
    }

    /// A whole file (every cue), without the HLS header.
    public static func file(cues: [Cue]) -> [UInt8] {
        var x = "WEBVTT\n"
        for c in cues {
            x += "\n\(Timecode.webVTT(c.start)) --> \(Timecode.webVTT(c.end))\n"
            x += c.lines.map { line in line.map(span).joined() }.joined(separator: "\n") + "\n"
        }
        return Array(x.utf8)
    }

    static func span(_ s: CueSpan) -> String {
        var t = escape(s.text)
        if s.bold { t = "<b>\(t)</b>" }
        if s.italic { t = "<i>\(t)</i>" }
        return t
    }

    /// Cue text: `&`, `<`, `>` as references; a blank line would end the cue, so line breaks inside a
    /// span become spaces (lines are separate already).
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n", "\r": out += " "
            default: out.append(ch)
            }
        }
        return out
    }
}
