public import MediaCore

/// What to encode from one source: the output of Plan, the input of Transcode.
public struct LadderPlan: Sendable, Equatable, Codable {
    /// The video ladder, or nil for an audio-only presentation.
    public var video: VideoPlan?
    /// Audio tracks in output order (one Smooth StreamIndex each); empty for a video-only presentation.
    public var audio: [AudioPlan]
    /// Human-readable reasons for the planner's choices (dropped rungs, frame-rate choice…), for logs.
    public var notes: [String]

    public init(video: VideoPlan?, audio: [AudioPlan], notes: [String] = []) {
        self.video = video
        self.audio = audio
        self.notes = notes
    }
}

/// The video ladder: every rung shares frame rate, GOP and fragment boundaries.
public struct VideoPlan: Sendable, Equatable, Codable {
    /// Index of the source stream to decode.
    public var sourceStreamIndex: Int
    /// Output frame rate in frames per second, constant (CFR).
    public var frameRate: Rational
    /// Seconds per output frame, `1 / frameRate`.
    public var frameDuration: Rational
    /// Frames per fragment = GOP length: an IDR starts every fragment, GOPs are closed.
    public var framesPerFragment: Int
    /// Seconds per fragment, exactly `framesPerFragment × frameDuration` (2.002 s at 29.97 fps).
    public var fragmentDuration: Rational
    /// Clockwise rotation, in degrees (0, 90, 180, 270), the transcoder applies before scaling.
    public var rotation: Int
    /// Deinterlace before scaling (the source is interlaced).
    public var deinterlace: Bool
    /// Output pixel format, always `yuv420p` (8-bit 4:2:0); output pixels are square (SAR 1:1).
    public var pixelFormat: String
    /// Rungs, highest first. Sizes are output sizes in displayed orientation (after rotation).
    public var rungs: [VideoRung]

    public init(sourceStreamIndex: Int, frameRate: Rational, framesPerFragment: Int, rotation: Int = 0,
                deinterlace: Bool = false, pixelFormat: String = "yuv420p", rungs: [VideoRung]) {
        self.sourceStreamIndex = sourceStreamIndex
        self.frameRate = frameRate
        self.frameDuration = frameRate.inverted
        self.framesPerFragment = framesPerFragment
        self.fragmentDuration = Rational(Int64(framesPerFragment), 1) * frameRate.inverted
        self.rotation = rotation
        self.deinterlace = deinterlace
        self.pixelFormat = pixelFormat
        self.rungs = rungs
    }
}

/// One H.264 rendition (a video QualityLevel): the profile rung's encoding at a planned size.
public struct VideoRung: Sendable, Equatable, Codable {
    /// Unique within the plan, e.g. `720p`, `1080p_4500k`.
    public var name: String
    /// Output size in square pixels, even, displayed orientation.
    public var width: Int
    public var height: Int
    /// The rung's encoding; its bitrate is unique within the plan (it names the QualityLevel).
    public var encoding: VideoEncoding

    public init(name: String, width: Int, height: Int, encoding: VideoEncoding) {
        self.name = name
        self.width = width
        self.height = height
        self.encoding = encoding
    }
}

/// One AAC-LC output track (an audio StreamIndex).
public struct AudioPlan: Sendable, Equatable, Codable {
    /// Index of the source stream to decode.
    public var sourceStreamIndex: Int
    /// StreamIndex name: `audio` alone, `audio_eng`/`audio_2` for several, `…_51` for a surround track.
    public var trackName: String
    /// ISO 639-2 language of the source stream, if tagged.
    public var language: String?
    /// Output sample rate, Hz.
    public var sampleRate: Int
    /// Output channels (downmix target): 1, 2 or 6.
    public var channels: Int
    /// Bits per second.
    public var bitrate: Int
    /// 1024-sample AAC frames per fragment (94 at 48 kHz, 86 at 44.1 kHz for 2 s).
    public var framesPerFragment: Int

    public init(sourceStreamIndex: Int, trackName: String, language: String?, sampleRate: Int, channels: Int,
                bitrate: Int, framesPerFragment: Int) {
        self.sourceStreamIndex = sourceStreamIndex
        self.trackName = trackName
        self.language = language
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitrate = bitrate
        self.framesPerFragment = framesPerFragment
    }
}
