/// The entry points the libFuzzer harnesses (`Fuzz/Captions*/main.swift`, run by `scripts/fuzz`) and the
/// regression tests (`Tests/HostileInputTests`) share. Each returns the invariants the input broke (empty when
/// none); a thrown ``CaptionError`` is the expected outcome for bad input, a trap or a runaway allocation is a
/// finding.
public enum FuzzEntry {
    /// Parses `bytes` as SRT, WebVTT and TTML (and sniffed); every track that parses must hold sorted cues with
    /// end > start, and its TTML and WebVTT renderings must read back to the same cue times.
    public static func captionParsers(_ bytes: [UInt8]) -> [String] {
        var broken: [String] = []
        var limits = CaptionLimits()
        limits.maxCues = 2_000
        for format in [CaptionFormat.srt, .webvtt, .ttml, nil] {
            guard let track = try? CaptionFile.parse(bytes, format: format, file: "fuzz", limits: limits) else { continue }
            broken += check(track, as: format?.rawValue ?? "sniffed")
        }
        return broken
    }

    /// Parses `bytes` as TTML only (the XML reader is the largest surface).
    public static func ttmlParser(_ bytes: [UInt8]) -> [String] {
        guard let track = try? CaptionFile.parse(bytes, format: .ttml, file: "fuzz") else { return [] }
        return check(track, as: "ttml")
    }

    static func check(_ track: CaptionTrack, as name: String) -> [String] {
        var broken: [String] = []
        for (k, c) in track.cues.enumerated() {
            if c.end <= c.start { broken.append("\(name): cue \(k) ends at \(c.end), not after \(c.start)") }
            if k > 0 && track.cues[k - 1].start > c.start { broken.append("\(name): cue \(k) out of order") }
        }
        guard broken.isEmpty, let last = track.cues.map(\.end).max() else { return broken }
        // TTML round trip in one fragment covering every cue: same times exactly.
        let doc = TTMLWriter(language: "en").document(cues: track.cues, fragmentStart: 0, duration: last)
        switch Result(catching: { () throws(CaptionError) in try TTMLParser.parse(String(decoding: doc, as: UTF8.self), file: "rt") }) {
        case .success(let back):
            if back.cues.map({ [$0.start, $0.end] }) != track.cues.map({ [$0.start, $0.end] }) {
                broken.append("\(name): TTML round trip changed cue times")
            }
            if back.cues.map(\.plainText) != track.cues.map(\.plainText).map(normalised) {
                broken.append("\(name): TTML round trip changed cue text")
            }
        case .failure(let e): broken.append("\(name): written TTML does not parse: \(e)")
        }
        return broken
    }

    /// Text as the TTML reader gives it back: white space collapsed the XML way, C0 controls gone.
    static func normalised(_ s: String) -> String {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            TTMLParser.State.collapse([CueSpan(String(line))]).map(\.text).joined()
        }.joined(separator: "\n")
    }
}
