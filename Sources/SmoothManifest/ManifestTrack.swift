public import MediaCore

/// One fragment as written to a media file, on the 10 MHz clock: its `tfxd`/`tfra` time and its duration.
public struct FragmentTiming: Sendable, Hashable, Codable {
    /// Start time (manifest `t`), 10 MHz units.
    public var time: Int64
    /// Duration (manifest `d`), 10 MHz units.
    public var duration: Int64

    /// Creates a fragment timing.
    public init(time: Int64, duration: Int64) {
        self.time = time
        self.duration = duration
    }

    /// `time + duration`.
    public var end: Int64 { time &+ duration }
}

/// Video, audio or text (captions and subtitles: `Type="text"`, `<textstream>` in the `.ism`).
public enum MediaKind: String, Sendable, Hashable, Codable {
    case video
    case audio
    case text
}

/// What the muxer wrote for one track: the input of ``ManifestBuilder``.
///
/// The pipeline maps its muxer output (file name, track id, codec config, the fragment index as
/// written) to this value; the manifests are derived from it, never from the plan.
public struct ManifestTrack: Sendable, Equatable {
    /// Video or audio; must agree with `codec`.
    public var kind: MediaKind
    /// Bitrate in bits per second: `.ism` `systemBitrate`, `.ismc` `Bitrate` and `QualityLevels(N)`.
    public var bitrate: Int
    /// Media file name relative to the `.ism`, e.g. `clip_3000000.ismv`.
    public var source: String
    /// `track_ID` of the track inside `source` (tkhd/tfhd/tfra).
    public var trackID: Int
    /// Name used in `Fragments(<name>=…)`; nil means the default `video` / `audio`
    /// (or `audio_<language>` when several audio languages exist and none is named).
    public var trackName: String?
    /// ISO 639-2 language (`eng`), if known.
    public var language: String?
    /// Decoder configuration (SPS/PPS or AudioSpecificConfig).
    public var codec: CodecConfig
    /// The fragments actually written, in order.
    public var fragments: [FragmentTiming]

    /// Creates a track description.
    public init(kind: MediaKind, bitrate: Int, source: String, trackID: Int, trackName: String? = nil,
                language: String? = nil, codec: CodecConfig, fragments: [FragmentTiming]) {
        self.kind = kind
        self.bitrate = bitrate
        self.source = source
        self.trackID = trackID
        self.trackName = trackName
        self.language = language
        self.codec = codec
        self.fragments = fragments
    }

    /// Creates a track description from `(time, duration)` pairs.
    @_disfavoredOverload // so that `fragments: []` picks the `[FragmentTiming]` initializer
    public init(kind: MediaKind, bitrate: Int, source: String, trackID: Int, trackName: String? = nil,
                language: String? = nil, codec: CodecConfig, fragments: [(time: Int64, duration: Int64)]) {
        self.init(kind: kind, bitrate: bitrate, source: source, trackID: trackID, trackName: trackName,
                  language: language, codec: codec,
                  fragments: fragments.map { FragmentTiming(time: $0.time, duration: $0.duration) })
    }
}
