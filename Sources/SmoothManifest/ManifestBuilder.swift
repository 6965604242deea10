internal import Platform
public import MediaCore

/// Client manifest version choice.
public enum ClientManifestVersion: Sendable, Equatable {
    /// `MajorVersion="2" MinorVersion="0"`: every fragment gets its own `c` (widest client support).
    case v2_0
    /// `MajorVersion="2" MinorVersion="2"`: runs of equal durations are collapsed into `r`.
    case v2_2
}

/// The `.ism` and `.ismc` of one presentation, with their file names.
public struct PresentationManifests: Sendable, Equatable {
    /// `<presentation>.ism`.
    public var serverManifestFileName: String
    /// `<presentation>.ismc`.
    public var clientManifestFileName: String
    /// The server manifest.
    public var server: ServerManifest
    /// The client manifest.
    public var client: ClientManifest

    /// File name → UTF-8 contents, `.ismc` first (uploads put the `.ism` last).
    public var files: [(name: String, contents: [UInt8])] {
        [(clientManifestFileName, client.xmlBytes()), (serverManifestFileName, server.xmlBytes())]
    }
}

/// Builds `.ism` / `.ismc` models from what the muxer wrote, validating the invariants clients and
/// servers depend on (docs/format.md §4, §6.2, §8 self-checks 5–7).
///
/// Grouping: one `StreamIndex` for all video tracks (name `video` unless named), and one per audio
/// track name. Audio tracks without a `trackName` are named `audio`, or `audio_<language>` when they
/// carry more than one distinct language. Tracks of one StreamIndex become its QualityLevels in input order.
public struct ManifestBuilder: Sendable {
    /// Options.
    public struct Options: Sendable, Equatable {
        /// Client manifest version (default 2.0, no `r`).
        public var version: ClientManifestVersion
        /// Allow gaps between fragments (coded with an explicit `t`); when false, a gap throws
        /// `.invalidFragmentTiming`. Overlaps always throw.
        public var allowGaps: Bool
        /// Optional `title` meta in the `.ism`.
        public var title: String?

        /// Creates options.
        public init(version: ClientManifestVersion = .v2_0, allowGaps: Bool = true, title: String? = nil) {
            self.version = version
            self.allowGaps = allowGaps
            self.title = title
        }
    }

    /// Presentation stem: files are `<presentation>.ism` / `<presentation>.ismc`.
    public var presentation: String
    /// Options.
    public var options: Options

    /// Creates a builder.
    public init(presentation: String, options: Options = Options()) {
        self.presentation = presentation
        self.options = options
    }

    /// Validates the tracks and builds both manifests.
    public func build(_ tracks: [ManifestTrack]) throws(ManifestError) -> PresentationManifests {
        try Self.checkFileName(presentation, context: "presentation")
        let groups = try group(tracks)
        return PresentationManifests(
            serverManifestFileName: presentation + ".ism",
            clientManifestFileName: presentation + ".ismc",
            server: serverManifest(groups: groups),
            client: try clientManifest(groups: groups))
    }

    /// Builds only the `.ism` model.
    public func serverManifest(for tracks: [ManifestTrack]) throws(ManifestError) -> ServerManifest {
        try Self.checkFileName(presentation, context: "presentation")
        return serverManifest(groups: try group(tracks))
    }

    /// Builds only the `.ismc` model.
    public func clientManifest(for tracks: [ManifestTrack]) throws(ManifestError) -> ClientManifest {
        try clientManifest(groups: try group(tracks))
    }

    // MARK: - Grouping and track validation

    struct Group {
        var kind: MediaKind
        var name: String
        var tracks: [(offset: Int, track: ManifestTrack)]
    }

    func group(_ tracks: [ManifestTrack]) throws(ManifestError) -> [Group] {
        guard !tracks.isEmpty else { throw ManifestError(.noTracks, "", "no tracks to describe") }
        for (i, t) in tracks.enumerated() { try Self.validate(t, context: "track[\(i)] \(t.source)") }
        let unnamedAudioLanguages = Set(tracks.filter { $0.kind == .audio && $0.trackName == nil }.map { $0.language })
        var groups: [Group] = []
        for (i, t) in tracks.enumerated() {
            let name: String
            if let n = t.trackName {
                name = n
            } else if t.kind == .audio && unnamedAudioLanguages.count > 1 {
                name = "audio_" + (t.language ?? "und")
            } else {
                name = t.kind.rawValue
            }
            if let g = groups.firstIndex(where: { $0.name == name }) {
                guard groups[g].kind == t.kind else {
                    throw ManifestError(.duplicateStreamName, "track[\(i)] \(t.source)",
                                        "stream name \(name) is used by both video and audio tracks")
                }
                groups[g].tracks.append((i, t))
            } else {
                groups.append(Group(kind: t.kind, name: name, tracks: [(i, t)]))
            }
        }
        return groups
    }

    static func validate(_ t: ManifestTrack, context: String) throws(ManifestError) {
        guard t.bitrate > 0 else { throw ManifestError(.invalidTrack, context, "bitrate \(t.bitrate) must be positive") }
        guard t.trackID > 0 && t.trackID <= Int(UInt32.max) else {
            throw ManifestError(.invalidTrack, context, "trackID \(t.trackID) is not a valid track_ID")
        }
        try checkFileName(t.source, context: context)
        if let n = t.trackName, !isValidStreamName(n) {
            throw ManifestError(.invalidName, context, "track name \(n) must match ALPHA *(ALPHA / DIGIT / \"_\" / \"-\")")
        }
        if let l = t.language, !(l.utf8.count == 3 && l.utf8.allSatisfy { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) {
            throw ManifestError(.invalidTrack, context, "language \(l) is not a lower-case ISO 639-2 code")
        }
        switch (t.kind, t.codec) {
        case (.video, .video(let v)):
            _ = try codecPrivateData(v, context: context)
            guard v.width > 0, v.height > 0 else {
                throw ManifestError(.invalidTrack, context, "video size \(v.width)x\(v.height) must be positive")
            }
        case (.audio, .audio(let a)):
            try checkAudioSpecificConfig(a, context: context)
        default:
            throw ManifestError(.kindMismatch, context, "kind \(t.kind.rawValue) does not match the codec configuration")
        }
        try checkTiming(t.fragments, context: context)
    }

    /// Fragments must exist, start at t ≥ 0, have positive durations and never overlap or go back.
    static func checkTiming(_ f: [FragmentTiming], context: String) throws(ManifestError) {
        guard let first = f.first else { throw ManifestError(.noFragments, context, "track has no fragments") }
        guard first.time >= 0 else {
            throw ManifestError(.invalidFragmentTiming, context, "first fragment time \(first.time) is negative")
        }
        for (i, x) in f.enumerated() {
            guard x.duration > 0 else {
                throw ManifestError(.invalidFragmentTiming, context, "fragment \(i) has duration \(x.duration)")
            }
            guard x.time <= Int64.max - x.duration else {
                throw ManifestError(.invalidFragmentTiming, context, "fragment \(i) ends past 2^63")
            }
            if i > 0 && x.time < f[i - 1].end {
                throw ManifestError(.invalidFragmentTiming, context,
                                    "fragment \(i) starts at \(x.time), before the previous one ends at \(f[i - 1].end)")
            }
        }
    }

    /// Name grammar of [MS-SSTR] `StreamIndex/@Name`: `ALPHA *(ALPHA / DIGIT / "_" / "-")`.
    public static func isValidStreamName(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let f = u.first, isAlpha(f), u.count <= 128 else { return false }
        return u.allSatisfy { isAlpha($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlpha(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    /// A file name beside the `.ism`: non-empty, no `/` or `\`, not `.`/`..`, no control characters.
    static func checkFileName(_ s: String, context: String) throws(ManifestError) {
        let bad = s.isEmpty || s == "." || s == ".." || s.utf8.count > 255
            || s.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
        if bad { throw ManifestError(.invalidTrack, context, "file name \"\(s)\" must be a plain relative file name") }
    }

    /// `00000001 SPS 00000001 PPS`, after checking the shape every client relies on (§4.4, §8 check 5):
    /// SPS is NAL type 7, PPS type 8, neither contains a start code or three zero bytes (emulation
    /// prevention forbids them) nor ends in a zero byte (rbsp_trailing_bits end with a 1 bit).
    public static func codecPrivateData(_ v: VideoCodecConfig, context: String = "") throws(ManifestError) -> [UInt8] {
        try checkNAL(v.sps, type: 7, what: "SPS", context: context)
        try checkNAL(v.pps, type: 8, what: "PPS", context: context)
        guard v.sps.count >= 4 else {
            throw ManifestError(.invalidCodecPrivateData, context, "SPS of \(v.sps.count) bytes has no profile/level")
        }
        return [0, 0, 0, 1] + v.sps + [0, 0, 0, 1] + v.pps
    }

    private static func checkNAL(_ n: [UInt8], type: UInt8, what: String, context: String) throws(ManifestError) {
        guard let h = n.first else { throw ManifestError(.invalidCodecPrivateData, context, "\(what) is empty") }
        guard h & 0x80 == 0, h & 0x1F == type else {
            throw ManifestError(.invalidCodecPrivateData, context,
                                "\(what) NAL header 0x\(Hex.upper([h])) is not nal_unit_type \(type)")
        }
        if n.count >= 3 {
            for i in 0..<(n.count - 2) where n[i] == 0 && n[i + 1] == 0 && n[i + 2] <= 1 {
                throw ManifestError(.invalidCodecPrivateData, context,
                                    "\(what) contains a start code or 00 00 00 at byte \(i): a second NAL unit or missing emulation prevention")
            }
        }
        guard n.last != 0 else {
            throw ManifestError(.invalidCodecPrivateData, context, "\(what) ends with a zero byte")
        }
    }

    /// The AudioSpecificConfig must be the 2-byte AAC-LC config matching sample rate and channels (§4.4, §8 check 6).
    static func checkAudioSpecificConfig(_ a: AudioCodecConfig, context: String) throws(ManifestError) {
        guard let expected = AudioCodecConfig.lcAudioSpecificConfig(sampleRate: a.sampleRate, channels: a.channels) else {
            throw ManifestError(.invalidAudioConfig, context,
                                "\(a.sampleRate) Hz / \(a.channels) channels has no AAC-LC AudioSpecificConfig")
        }
        guard a.audioSpecificConfig == expected else {
            throw ManifestError(.invalidAudioConfig, context,
                                "AudioSpecificConfig \(Hex.upper(a.audioSpecificConfig)) is not the 2-byte AAC-LC config \(Hex.upper(expected)) for \(a.sampleRate) Hz, \(a.channels) channels")
        }
    }

    // MARK: - Server manifest

    func serverManifest(groups: [Group]) -> ServerManifest {
        var byOffset: [(Int, ServerManifest.Track)] = []
        for g in groups {
            for (offset, t) in g.tracks {
                // trackName: always for audio (the sheet's example), and whenever the name is not the default.
                let writeName = t.kind == .audio || g.name != t.kind.rawValue
                byOffset.append((offset, ServerManifest.Track(
                    kind: t.kind, src: t.source, systemBitrate: t.bitrate, systemLanguage: t.language,
                    trackID: t.trackID, trackName: writeName ? g.name : nil)))
            }
        }
        var meta = [ServerManifest.Meta(name: "clientManifestRelativePath", content: presentation + ".ismc")]
        if let title = options.title { meta.append(.init(name: "title", content: title)) }
        return ServerManifest(meta: meta, tracks: byOffset.sorted { $0.0 < $1.0 }.map(\.1))
    }

    // MARK: - Client manifest

    func clientManifest(groups: [Group]) throws(ManifestError) -> ClientManifest {
        var streams: [StreamIndex] = []
        for g in groups { streams.append(try streamIndex(g)) }
        let duration = streams.map(\.end).max() ?? 0
        return ClientManifest(majorVersion: 2, minorVersion: options.version == .v2_2 ? 2 : 0,
                              timeScale: Clock.timescale, duration: duration, streams: streams)
    }

    func streamIndex(_ g: Group) throws(ManifestError) -> StreamIndex {
        let context = "StreamIndex[\(g.name)]"
        guard Self.isValidStreamName(g.name) else {
            throw ManifestError(.invalidName, context, "stream name \(g.name) is not valid")
        }
        let reference = g.tracks[0].track
        var levels: [QualityLevel] = []
        var seenBitrates: Set<Int> = []
        for (index, (_, t)) in g.tracks.enumerated() {
            let lctx = "\(context)/QualityLevel[\(index)] \(t.source)"
            guard seenBitrates.insert(t.bitrate).inserted else {
                throw ManifestError(.duplicateBitrate, lctx, "bitrate \(t.bitrate) appears twice in stream \(g.name)")
            }
            guard t.language == reference.language else {
                throw ManifestError(.inconsistentStream, lctx,
                                    "language \(t.language ?? "none") differs from \(reference.language ?? "none")")
            }
            guard t.fragments == reference.fragments else {
                let detail = Self.firstDifference(reference.fragments, t.fragments)
                throw ManifestError(.misalignedFragments, lctx, "fragments differ from \(reference.source): \(detail)")
            }
            switch t.codec {
            case .video(let v):
                levels.append(QualityLevel(index: index, bitrate: t.bitrate, fourCC: "H264", maxWidth: v.width,
                                           maxHeight: v.height, codecPrivateData: try Self.codecPrivateData(v, context: lctx),
                                           nalUnitLengthField: 4))
            case .audio(let a):
                if case .audio(let r) = reference.codec, r.sampleRate != a.sampleRate {
                    throw ManifestError(.inconsistentStream, lctx,
                                        "sample rate \(a.sampleRate) differs from \(r.sampleRate) in the same stream")
                }
                levels.append(QualityLevel(index: index, bitrate: t.bitrate, fourCC: "AACL",
                                           codecPrivateData: a.audioSpecificConfig, samplingRate: a.sampleRate,
                                           channels: a.channels, bitsPerSample: 16, packetSize: 4, audioTag: 255))
            }
        }
        if !options.allowGaps {
            let f = reference.fragments
            for i in 1..<max(f.count, 1) where f[i - 1].end != f[i].time {
                throw ManifestError(.invalidFragmentTiming, context,
                                    "gap before fragment \(i): previous ends at \(f[i - 1].end), next starts at \(f[i].time)")
            }
        }
        var stream = StreamIndex(type: g.kind, name: g.name, language: reference.language, timeScale: Clock.timescale,
                                 qualityLevels: levels, chunks: reference.fragments)
        if g.kind == .video {
            var largest: VideoCodecConfig?
            for (_, t) in g.tracks {
                if case .video(let v) = t.codec, v.width * v.height > (largest.map { $0.width * $0.height } ?? -1) {
                    largest = v
                }
            }
            stream.maxWidth = levels.compactMap(\.maxWidth).max()
            stream.maxHeight = levels.compactMap(\.maxHeight).max()
            if let v = largest {
                let sar = v.sampleAspectRatio.isPositive ? v.sampleAspectRatio : Rational(1, 1)
                stream.displayWidth = Int((Double(v.width) * sar.doubleValue).rounded())
                stream.displayHeight = v.height
            }
        }
        return stream
    }

    static func firstDifference(_ a: [FragmentTiming], _ b: [FragmentTiming]) -> String {
        for i in 0..<min(a.count, b.count) where a[i] != b[i] {
            return "fragment \(i) is (t=\(b[i].time), d=\(b[i].duration)), expected (t=\(a[i].time), d=\(a[i].duration))"
        }
        return "\(b.count) fragments, expected \(a.count)"
    }
}
