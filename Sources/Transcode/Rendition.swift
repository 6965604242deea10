public import MediaCore
public import Planning

/// One output of a transcode: a video rung or an audio track of the plan.
public enum Rendition: Sendable, Equatable {
    case video(index: Int, rung: VideoRung)
    case audio(index: Int, track: AudioPlan)

    public var isVideo: Bool { if case .video = self { return true } else { return false } }

    /// Target bitrate in bits per second.
    public var bitrate: Int {
        switch self {
        case .video(_, let rung): return rung.encoding.bitrate
        case .audio(_, let track): return track.bitrate
        }
    }

    /// A short label for logs and progress ("720p", "audio_eng").
    public var label: String {
        switch self {
        case .video(_, let rung): return rung.name
        case .audio(_, let track): return track.trackName
        }
    }
}

/// Receives one rendition's output, in order, on one thread: the configuration first, then every sample
/// in decode order, then `finish`. The muxer implements it.
public protocol RenditionSink: AnyObject {
    func start(_ config: CodecConfig) throws
    func append(_ sample: EncodedSample) throws
    func finish() throws
}

/// Progress of a running transcode.
public struct TranscodeProgress: Sendable, Equatable {
    /// Source time decoded so far, in seconds.
    public var mediaTime: Double
    /// Share of the source done (0…1), when its duration is known.
    public var fraction: Double?
    /// Video frames produced so far (after frame-rate conversion).
    public var frames: Int64
    /// Frames per second achieved since the start.
    public var framesPerSecond: Double
}

/// What a transcode produced, per rendition.
public struct TranscodeSummary: Sendable, Equatable {
    public struct Output: Sendable, Equatable {
        public var rendition: Rendition
        public var config: CodecConfig
        public var sampleCount: Int
        public var syncSampleCount: Int
        public var bytes: Int64
        /// Sum of sample durations on the 10 MHz clock.
        public var duration: Int64
        /// Measured average bitrate (bits per second).
        public var measuredBitrate: Int {
            duration > 0 ? Int(Double(bytes) * 8 * Double(Clock.timescale) / Double(duration)) : 0
        }
    }
    public var outputs: [Output]
    /// Source video frames decoded.
    public var decodedFrames: Int64
    /// Wall-clock seconds.
    public var elapsed: Double
}

/// Why a transcode failed (FFmpeg's own errors are `FFmpegError`).
public struct TranscodeError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
