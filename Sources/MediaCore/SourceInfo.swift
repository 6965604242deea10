/// What Probe found in a source file: the input of Plan.
public struct SourceInfo: Sendable, Equatable, Codable {
    /// Path of the probed file as given.
    public var path: String
    /// libavformat's short container name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    public var container: String
    /// Presentation duration in seconds, if the container or streams declare one.
    public var duration: Double?
    /// Size of the file in bytes.
    public var fileSize: Int64
    public var videoStreams: [VideoStreamInfo]
    public var audioStreams: [AudioStreamInfo]
    /// Streams that are neither audio nor video (subtitles, data, timecode, unreadable tracks): never
    /// packaged, listed so that leaving them out can be said.
    public var otherStreams: [OtherStreamInfo]

    public init(path: String, container: String, duration: Double?, fileSize: Int64,
                videoStreams: [VideoStreamInfo], audioStreams: [AudioStreamInfo], otherStreams: [OtherStreamInfo] = []) {
        self.path = path
        self.container = container
        self.duration = duration
        self.fileSize = fileSize
        self.videoStreams = videoStreams
        self.audioStreams = audioStreams
        self.otherStreams = otherStreams
    }

    /// The video stream smoothpack encodes: the first one that is not an attached picture.
    public var primaryVideo: VideoStreamInfo? { videoStreams.first { !$0.isAttachedPicture } }
}

/// A stream that is neither audio nor video.
public struct OtherStreamInfo: Sendable, Equatable, Codable {
    public var index: Int
    /// libavutil's media type name: "subtitle", "data", "attachment", "unknown".
    public var type: String
    /// Codec short name, "unknown" when libavformat could not identify it.
    public var codec: String

    public init(index: Int, type: String, codec: String) {
        self.index = index
        self.type = type
        self.codec = codec
    }
}

/// Interlacing as libavcodec reports it.
public enum FieldOrder: String, Sendable, Codable {
    case unknown, progressive, topFieldFirst, bottomFieldFirst
    public var isInterlaced: Bool { self == .topFieldFirst || self == .bottomFieldFirst }
}

/// One video stream of a source.
public struct VideoStreamInfo: Sendable, Equatable, Codable {
    /// Stream index inside the container.
    public var index: Int
    /// Codec short name, e.g. "h264", "hevc", "prores".
    public var codec: String
    /// Coded (storage) size in pixels.
    public var width: Int
    public var height: Int
    /// Sample aspect ratio (1/1 when unknown or square).
    public var sampleAspectRatio: Rational
    /// Exact average frame rate (frames per second), e.g. 30000/1001.
    public var frameRate: Rational
    /// True when frame durations vary (the stream's r_frame_rate and avg_frame_rate disagree).
    public var isVariableFrameRate: Bool
    public var fieldOrder: FieldOrder
    /// Clockwise rotation to apply for display, in degrees: 0, 90, 180 or 270.
    public var rotation: Int
    /// Pixel format name, e.g. "yuv420p", "yuv422p10le".
    public var pixelFormat: String
    /// Bits per component of the pixel format (8, 10, 12…).
    public var bitDepth: Int
    /// An embedded cover image rather than moving video.
    public var isAttachedPicture: Bool
    /// Stream duration in seconds, if declared.
    public var duration: Double?
    /// Frame count, if declared by the container.
    public var frameCount: Int64?

    public init(index: Int, codec: String, width: Int, height: Int, sampleAspectRatio: Rational = Rational(1, 1),
                frameRate: Rational, isVariableFrameRate: Bool = false, fieldOrder: FieldOrder = .progressive,
                rotation: Int = 0, pixelFormat: String = "yuv420p", bitDepth: Int = 8,
                isAttachedPicture: Bool = false, duration: Double? = nil, frameCount: Int64? = nil) {
        self.index = index
        self.codec = codec
        self.width = width
        self.height = height
        self.sampleAspectRatio = sampleAspectRatio
        self.frameRate = frameRate
        self.isVariableFrameRate = isVariableFrameRate
        self.fieldOrder = fieldOrder
        self.rotation = rotation
        self.pixelFormat = pixelFormat
        self.bitDepth = bitDepth
        self.isAttachedPicture = isAttachedPicture
        self.duration = duration
        self.frameCount = frameCount
    }

    /// Display aspect ratio of the stored picture (before rotation): width·SAR / height.
    public var displayAspect: Rational {
        Rational(Int64(width), Int64(max(height, 1))) * (sampleAspectRatio.isPositive ? sampleAspectRatio : Rational(1, 1))
    }

    /// True when the picture is shown turned a quarter (portrait phone video stored landscape).
    public var isQuarterTurn: Bool { rotation == 90 || rotation == 270 }

    /// Aspect ratio as the viewer sees it, rotation applied.
    public var displayedAspect: Rational { isQuarterTurn ? displayAspect.inverted : displayAspect }

    /// Displayed size in square pixels (width stretched by SAR, then rotated).
    public var displayedSize: (width: Int, height: Int) {
        let sar = sampleAspectRatio.isPositive ? sampleAspectRatio : Rational(1, 1)
        let w = Int((Double(width) * sar.doubleValue).rounded())
        return isQuarterTurn ? (height, w) : (w, height)
    }
}

/// One audio stream of a source.
public struct AudioStreamInfo: Sendable, Equatable, Codable {
    public var index: Int
    /// Codec short name, e.g. "aac", "opus", "pcm_s16le".
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
    /// libavutil's layout description, e.g. "stereo", "5.1(side)".
    public var channelLayout: String
    /// ISO 639-2 language from the stream metadata, if any ("und" is reported as nil).
    public var language: String?
    public var duration: Double?

    public init(index: Int, codec: String, sampleRate: Int, channels: Int, channelLayout: String,
                language: String? = nil, duration: Double? = nil) {
        self.index = index
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
        self.channelLayout = channelLayout
        self.language = language
        self.duration = duration
    }
}
