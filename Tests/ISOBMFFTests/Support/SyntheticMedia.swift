import ISOBMFF
import MediaCore

/// Synthetic sample streams built exactly as the EncodedSample contract says: times from frame
/// counts with Clock.time(ofUnit:unitDuration:), 4-byte length-prefixed NAL units.
enum Synthetic {
    /// The x264 High@3.1 SPS/PPS of docs/format.md §4.4.
    static let sps: [UInt8] = [
        0x67, 0x64, 0x00, 0x1F, 0xAC, 0xD9, 0x40, 0x50, 0x05, 0xBB, 0x01, 0x10, 0x00, 0x00,
        0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xF1, 0x83, 0x19, 0x60,
    ]
    static let pps: [UInt8] = [0x68, 0xEF, 0xBC, 0xB0]

    static func videoConfig(frameDuration: Rational = Rational(1, 25)) -> VideoCodecConfig {
        VideoCodecConfig(sps: sps, pps: pps, width: 1280, height: 720, frameDuration: frameDuration)
    }

    static func audioConfig(sampleRate: Int = 48000) -> AudioCodecConfig {
        AudioCodecConfig(
            audioSpecificConfig: AudioCodecConfig.lcAudioSpecificConfig(sampleRate: sampleRate, channels: 2)!,
            sampleRate: sampleRate, channels: 2)
    }

    /// One length-prefixed NAL of `type` with `payload` bytes after the header.
    static func nal(type: UInt8, payload: Int) -> [UInt8] {
        let n = payload + 1
        return [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), 0x60 | type]
            + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(type)) }
    }

    /// Presentation frame index of decode position `k` inside a GOP of `gop` frames with B-frames:
    /// I0 P3 B1 B2 P6 B4 B5 … (triples that do not fit the GOP are P frames in order).
    static func presentationIndex(_ k: Int, gop: Int, bFrames: Bool) -> Int {
        guard bFrames, k > 0 else { return k }
        let m = (k - 1) / 3
        let r = (k - 1) % 3
        guard 3 * m + 3 <= gop - 1 else { return k }
        return r == 0 ? 3 * m + 3 : 3 * m + r
    }

    /// `frames` video samples, an IDR every `gop` frames; samples share two byte arrays (cheap for long runs).
    static func video(
        frames: Int, gop: Int, frameDuration: Rational = Rational(1, 25), bFrames: Bool = false,
        payload: Int = 11
    ) -> [EncodedSample] {
        let idr = nal(type: 6, payload: 3) + nal(type: 5, payload: payload)
        let other = nal(type: 1, payload: payload / 2 + 1)
        var out: [EncodedSample] = []
        out.reserveCapacity(frames)
        for n in 0..<frames {
            let gopStart = n - n % gop
            let k = n - gopStart
            let p = gopStart + presentationIndex(k, gop: min(gop, frames - gopStart), bFrames: bFrames)
            let t = Clock.time(ofUnit: Int64(n), unitDuration: frameDuration)
            let pt = Clock.time(ofUnit: Int64(p), unitDuration: frameDuration)
            let next = Clock.time(ofUnit: Int64(n + 1), unitDuration: frameDuration)
            out.append(
                EncodedSample(
                    data: k == 0 ? idr : other, decodeTime: t, presentationTime: pt,
                    duration: next - t, isSync: k == 0))
        }
        return out
    }

    /// `frames` AAC access units at `sampleRate`.
    static func audio(frames: Int, sampleRate: Int = 48000, payload: Int = 7) -> [EncodedSample] {
        let unit = Rational(1024, Int64(sampleRate))
        let data = (0..<payload).map { UInt8(0x21 &+ $0) }
        return (0..<frames).map { n in
            let t = Clock.time(ofUnit: Int64(n), unitDuration: unit)
            return EncodedSample(
                data: data, decodeTime: t, presentationTime: t,
                duration: Clock.time(ofUnit: Int64(n + 1), unitDuration: unit) - t, isSync: true)
        }
    }

    /// A whole `.ismv` in memory.
    static func ismv(frames: Int = 20, gop: Int = 10, bFrames: Bool = true) throws -> (
        bytes: [UInt8], index: FragmentIndex
    ) {
        let sink = MemorySink()
        let f = try Fragmenter(sink: sink, trackID: 1, codec: .video(videoConfig()))
        try f.append(contentsOf: video(frames: frames, gop: gop, bFrames: bFrames))
        let index = try f.finish()
        return (sink.bytes, index)
    }

    /// A whole `.isma` in memory.
    static func isma(frames: Int = 10, perFragment: Int = 4) throws -> (bytes: [UInt8], index: FragmentIndex) {
        let sink = MemorySink()
        let f = try Fragmenter(
            sink: sink, trackID: 2, codec: .audio(audioConfig()),
            policy: .audio(framesPerFragment: perFragment))
        try f.append(contentsOf: audio(frames: frames))
        let index = try f.finish()
        return (sink.bytes, index)
    }
}

/// Deterministic pseudo-random numbers (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Bytes from a hex string (spaces ignored); traps on bad input (tests only).
func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd hex string")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}
