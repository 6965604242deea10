/// Cue text of one subtitle packet of a text subtitle stream inside a source file, as libavformat demuxes it:
/// `subrip` (SRT markup), `webvtt` (WebVTT payload), `mov_text` (3GPP timed text: 16-bit length, UTF-8 text,
/// style boxes), `ass`/`ssa` (`ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text` with override
/// tags and `\N` breaks), `text` (plain); `ttml` samples (one TTML document each) go through
/// ``ttmlSample(_:sampleStart:sampleEnd:file:limits:)``. Styling beyond italics and bold is dropped.
public enum EmbeddedCueText {
    /// The text subtitle codecs read (libavcodec names); `ttml` is read with ``ttmlSample(_:sampleStart:sampleEnd:file:limits:)``.
    public static let textCodecs: Set<String> = ["subrip", "srt", "webvtt", "mov_text", "ass", "ssa", "text", "ttml"]
    /// Bitmap subtitle codecs: listed as not carried.
    public static let bitmapCodecs: Set<String> = [
        "hdmv_pgs_subtitle", "dvb_subtitle", "dvd_subtitle", "xsub", "dvb_teletext", "arib_caption",
    ]

    /// The lines of a packet, or nil when the payload is not text of that codec (bad UTF-8, a bad length).
    public static func lines(codec: String, payload: [UInt8]) -> [[CueSpan]]? {
        // A cue is a few lines; a huge packet is not text. TTML samples are whole documents (ttmlSample).
        guard payload.count <= 1 << 16, codec != "ttml" else { return nil }
        var dropped = false
        let bytes: ArraySlice<UInt8>
        switch codec {
        case "mov_text":
            guard payload.count >= 2 else { return nil }
            let length = Int(payload[0]) << 8 | Int(payload[1])
            guard length <= payload.count - 2 else { return nil }
            bytes = payload[2..<(2 + length)]
        default:
            bytes = payload[...]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let normalised = text.replacingCRLF()
        switch codec {
        case "ass", "ssa":
            // Nine fields with the text last (it may contain commas); older packets are whole Dialogue lines.
            var body = Substring(normalised)
            let dialogueLine = body.hasPrefix("Dialogue:")
            if dialogueLine { body = body.dropFirst(9) }
            var commas = 0
            var start = body.startIndex
            let fields = dialogueLine ? 9 : 8
            for i in body.indices where body[i] == "," {
                commas += 1
                if commas == fields { start = body.index(after: i); break }
            }
            guard commas == fields else { return nil }
            var t = String(body[start...])
            t = t.replacingAll("\\N", with: "\n").replacingAll("\\n", with: "\n").replacingAll("\\h", with: "\u{A0}")
            return InlineMarkup.parse(t[...], entities: false, droppedStyling: &dropped).trimmedLines()
        case "webvtt":
            return InlineMarkup.parse(normalised[...], entities: true, droppedStyling: &dropped).trimmedLines()
        case "mov_text", "text":
            return normalised.split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in [CueSpan(String(String.UnicodeScalarView(line.unicodeScalars.filter { !InlineMarkup.isForbidden($0) })))] }
                .trimmedLines()
        default:  // subrip, srt
            return InlineMarkup.parse(normalised[...], entities: false, droppedStyling: &dropped).trimmedLines()
        }
    }

    /// The cues of one sample of a TTML track (MP4 `stpp`: each sample a whole TTML document) on the track's
    /// timeline, cut to the sample's interval `[sampleStart, sampleEnd)` (10 MHz units; no end when the sample
    /// has no duration). ISO 14496-30 §5.3: the document's times are on the track's presentation timeline,
    /// not relative to the sample (FFmpeg's mp4 muxer writes one sample at 0 holding every cue, with the cues'
    /// own times). Smooth Streaming `.ismt` files (smoothpack's among them) write them relative to the
    /// fragment instead; a document none of whose cues overlaps the sample when read as track times, but some
    /// do when shifted by the sample's start, is read that way and `relative` is true.
    public static func ttmlSample(_ payload: [UInt8], sampleStart: Int64, sampleEnd: Int64?, file: String,
                                  limits: CaptionLimits = CaptionLimits()) throws(CaptionError)
        -> (cues: [Cue], relative: Bool)
    {
        guard (0...Timecode.maxTime).contains(sampleStart), sampleEnd.map({ $0 <= Timecode.maxTime }) ?? true else {
            throw CaptionError(file: file, line: 0, "sample time out of range")
        }
        let document = try CaptionFile.parse(payload, format: .ttml, file: file, limits: limits)
        guard let sampleEnd, sampleEnd > sampleStart else { return (document.cues, false) }
        let asTrackTimes = document.cues(overlapping: sampleStart, sampleEnd)
        if asTrackTimes.isEmpty, sampleStart > 0 {
            var shifted = document
            shifted.cues = document.cues.map { Cue(start: $0.start + sampleStart, end: $0.end + sampleStart, lines: $0.lines) }
            let asSampleTimes = shifted.cues(overlapping: sampleStart, sampleEnd)
            if !asSampleTimes.isEmpty { return (asSampleTimes, true) }
        }
        return (asTrackTimes, false)
    }

    /// Cues cut at sample boundaries joined again: a cue that starts where an identical one (same lines) ends
    /// extends it. TTML streams that repeat a cue in each sample it spans come back as one cue. Sorted by start.
    public static func joiningCut(_ cues: [Cue]) -> [Cue] {
        struct Key: Hashable {
            var end: Int64
            var lines: [[CueSpan]]
        }
        var out: [Cue] = []
        var open: [Key: Int] = [:]
        let sorted = cues.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
        for c in sorted {
            if let k = open.removeValue(forKey: Key(end: c.start, lines: c.lines)) {
                out[k].end = c.end
                open[Key(end: c.end, lines: c.lines)] = k
            } else {
                open[Key(end: c.end, lines: c.lines)] = out.count
                out.append(c)
            }
        }
        return out
    }

    /// A track from packets already converted to cues (any order), with the shared checks: end after start,
    /// caps, sorted.
    public static func track(_ cues: [Cue], file: String, limits: CaptionLimits = CaptionLimits()) throws(CaptionError)
        -> CaptionTrack
    {
        var out = CueCollector(file: file, limits: limits)
        for c in cues { try out.add(start: c.start, end: c.end, lines: c.lines, line: 0) }
        return out.finish(.srt)
    }
}

extension String {
    func replacingCRLF() -> String {
        guard contains("\r") else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.filter { $0 != "\r" }))
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.indices.first(where: { rest[$0...].hasPrefix(target) }) {
            out += rest[..<r] + replacement
            rest = rest[rest.index(r, offsetBy: target.count)...]
        }
        return out + rest
    }
}
