public import MediaCore

/// Where fragments are cut (docs/format.md §0 "Fragment length", §7.1, §7.2).
public enum FragmentationPolicy: Sendable, Equatable {
    /// Video: a fragment starts at a sync sample once the open fragment lasts at least
    /// `minimumDuration` (10 MHz units); 0 cuts at every sync sample (every GOP).
    case video(minimumDuration: Int64 = 0)
    /// Audio: whole AAC frames, `framesPerFragment` per fragment (the last one may be shorter).
    case audio(framesPerFragment: Int)

    /// The default for a codec: video cuts at every sync sample; audio uses the frame count nearest
    /// to 2 s (94 frames at 48 kHz, 86 at 44.1 kHz).
    public static func `default`(for codec: CodecConfig) -> FragmentationPolicy {
        switch codec {
        case .video: .video(minimumDuration: 0)
        case .audio(let a):
            .audio(
                framesPerFragment: audioFramesPerFragment(
                    targetDuration: 20_000_000, sampleRate: a.sampleRate,
                    samplesPerFrame: a.samplesPerFrame))
        }
    }

    /// The whole number of AAC frames nearest to `targetDuration` (10 MHz units) at `sampleRate`,
    /// at least 1 (docs/format.md §7.2: 48 kHz, 2 s → 94).
    public static func audioFramesPerFragment(targetDuration: Int64, sampleRate: Int, samplesPerFrame: Int = 1024)
        -> Int
    {
        precondition(sampleRate > 0 && samplesPerFrame > 0, "sample rate and frame length must be positive")
        let perFrame = Int64(samplesPerFrame) * Clock.timescale  // frame length × 10⁷ / rate
        let n = (targetDuration * Int64(sampleRate) + perFrame / 2) / perFrame
        return Int(max(1, n))
    }
}
