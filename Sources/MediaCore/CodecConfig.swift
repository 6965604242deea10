/// Decoder configuration of one H.264 rendition.
public struct VideoCodecConfig: Sendable, Equatable, Codable {
    /// The one sequence parameter set, with its NAL header byte (0x67…), emulation prevention kept.
    public var sps: [UInt8]
    /// The one picture parameter set, with its NAL header byte (0x68…).
    public var pps: [UInt8]
    /// Coded width and height in pixels.
    public var width: Int
    public var height: Int
    /// Sample (pixel) aspect ratio; 1/1 for square pixels.
    public var sampleAspectRatio: Rational
    /// Frame duration in seconds (1001/30000 at 29.97 fps).
    public var frameDuration: Rational

    public init(sps: [UInt8], pps: [UInt8], width: Int, height: Int,
                sampleAspectRatio: Rational = Rational(1, 1), frameDuration: Rational) {
        self.sps = sps
        self.pps = pps
        self.width = width
        self.height = height
        self.sampleAspectRatio = sampleAspectRatio
        self.frameDuration = frameDuration
    }

    /// AVCProfileIndication, profile_compatibility and AVCLevelIndication (SPS bytes 1…3).
    public var profileIndication: UInt8 { sps.count > 1 ? sps[1] : 0 }
    public var profileCompatibility: UInt8 { sps.count > 2 ? sps[2] : 0 }
    public var levelIndication: UInt8 { sps.count > 3 ? sps[3] : 0 }
}

/// Decoder configuration of one AAC-LC rendition.
public struct AudioCodecConfig: Sendable, Equatable, Codable {
    /// The MPEG-4 AudioSpecificConfig (2 bytes for AAC-LC, e.g. 0x11 0x90 for 48 kHz stereo).
    public var audioSpecificConfig: [UInt8]
    public var sampleRate: Int
    public var channels: Int
    /// PCM samples per access unit (1024 for AAC-LC).
    public var samplesPerFrame: Int

    public init(audioSpecificConfig: [UInt8], sampleRate: Int, channels: Int, samplesPerFrame: Int = 1024) {
        self.audioSpecificConfig = audioSpecificConfig
        self.sampleRate = sampleRate
        self.channels = channels
        self.samplesPerFrame = samplesPerFrame
    }

    /// The 2-byte AAC-LC AudioSpecificConfig for a sample rate and channel count, or nil when the
    /// rate has no sampling-frequency index or the channel count no channel configuration.
    public static func lcAudioSpecificConfig(sampleRate: Int, channels: Int) -> [UInt8]? {
        let rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
        guard let index = rates.firstIndex(of: sampleRate), let channelConfig = channelConfiguration(channels: channels)
        else { return nil }
        let bits = (2 << 11) | (index << 7) | (channelConfig << 3)
        return [UInt8(bits >> 8), UInt8(bits & 0xFF)]
    }

    /// The AudioSpecificConfig `channelConfiguration` for a channel count (docs/format.md §4.4): 1…6 are
    /// themselves (6 = 5.1), 8 channels (7.1) are configuration 7. Seven channels have none that the
    /// 2-byte config can carry for the decoders we target (configuration 11, 6.1, came with a later
    /// amendment and is not widely decoded; otherwise it needs a program_config_element), nor have 0 or
    /// more than 8: nil.
    public static func channelConfiguration(channels: Int) -> Int? {
        switch channels {
        case 1...6: channels
        case 8: 7
        default: nil
        }
    }
}

/// What a rendition's samples are.
public enum CodecConfig: Sendable, Equatable, Codable {
    case video(VideoCodecConfig)
    case audio(AudioCodecConfig)

    public var isVideo: Bool { if case .video = self { return true } else { return false } }
}
