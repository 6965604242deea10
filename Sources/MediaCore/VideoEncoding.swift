/// An H.264 profile as x264 names it.
public enum H264Profile: String, Sendable, Equatable, Codable, CaseIterable {
    case high, main, baseline

    /// The name x264 (and libavcodec's `profile` option) takes: `high`, `main`, `baseline`.
    public var x264Name: String { rawValue }

    /// Whether the profile allows B-frames (baseline does not).
    public var allowsBFrames: Bool { self != .baseline }
}

/// How one H.264 rendition is encoded: rate control and x264's choices. One value flows from the parsed
/// profile (a rung with its defaults applied) through the plan (which may rescale the rates for a small
/// source) to the encoder; the plan adds only the picture size and the GOP.
public struct VideoEncoding: Sendable, Equatable, Codable {
    /// Average bitrate, bits per second; unique within a ladder (it names the QualityLevel).
    public var bitrate: Int
    /// VBV maximum rate, bits per second (≥ bitrate).
    public var maxrate: Int
    /// VBV buffer size, bits.
    public var bufsize: Int
    public var profile: H264Profile
    /// H.264 level (`3.1`, `4`, `1b`…), or nil to let x264 choose.
    public var level: String?
    /// x264 preset name.
    public var preset: String
    public var bframes: Int
    /// Reference frames, or nil for the preset's choice.
    public var refs: Int?
    /// Free-form x264 options (`key=value` for x264-params), passed after smoothpack's own.
    public var x264Params: [String: String]
    /// Capped CRF (per-title ladders): x264's constant rate factor, with `maxrate`/`bufsize` as the VBV cap;
    /// `bitrate` is then only the planned estimate. Nil: average-bitrate encoding at `bitrate`.
    public var crf: Int? = nil

    public init(bitrate: Int, maxrate: Int, bufsize: Int, profile: H264Profile = .high, level: String? = nil,
                preset: String = "medium", bframes: Int = 3, refs: Int? = nil, x264Params: [String: String] = [:]) {
        self.bitrate = bitrate
        self.maxrate = maxrate
        self.bufsize = bufsize
        self.profile = profile
        self.level = level
        self.preset = preset
        self.bframes = bframes
        self.refs = refs
        self.x264Params = x264Params
    }
}
