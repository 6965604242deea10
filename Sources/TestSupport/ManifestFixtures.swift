internal import Platform
public import Foundation
public import MediaCore
public import SmoothManifest

// Fixtures shared by the manifest and publish tests.

/// Deterministic generator for fuzz-style tests.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs a command, returns its exit status and standard output.
@discardableResult
public func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Pipe()
    p.standardInput = inPipe
    try p.run()
    if let input { inPipe.fileHandleForWriting.write(input) }
    try inPipe.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// A fresh temporary directory.
public func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("smoothmanifest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The inputs of the docs/format.md §4.6 example: 3 video rungs (real x264 SPS/PPS) and one audio track.
public enum Example46 {
    public static func video(_ cpdHex: String, _ w: Int, _ h: Int) -> CodecConfig {
        let cpd = Hex.decode(cpdHex)!
        // 00000001 SPS 00000001 PPS: the PPS is the last 4 bytes of these examples.
        let pps = Array(cpd.suffix(4))
        let sps = Array(cpd[4..<(cpd.count - 8)])
        return .video(VideoCodecConfig(sps: sps, pps: pps, width: w, height: h, frameDuration: Rational(1, 25)))
    }

    public static let videoFragments: [FragmentTiming] = (0..<5).map { FragmentTiming(time: Int64($0) * 20_000_000, duration: 20_000_000) }

    /// Boundaries at round(k·1024·10⁷/48000) for k = 0, 94, 188, 282, 376, 469.
    public static let audioFragments: [FragmentTiming] = {
        let frames: [Int64] = [0, 94, 188, 282, 376, 469]
        let t = frames.map { Clock.time(ofUnit: $0 * 1024, unitDuration: Rational(1, 48000)) }
        return (0..<5).map { FragmentTiming(time: t[$0], duration: t[$0 + 1] - t[$0]) }
    }()

    public static let tracks: [ManifestTrack] = [
        ManifestTrack(kind: .video, bitrate: 3_000_000, source: "presentation_v3000k.ismv", trackID: 1,
                      codec: video("000000016764001FACD9405005BB011000000300100000030320F18319600000000168EFBCB0", 1280, 720),
                      fragments: videoFragments),
        ManifestTrack(kind: .video, bitrate: 1_800_000, source: "presentation_v1800k.ismv", trackID: 1,
                      codec: video("000000016764001FACD940F0117EF011000003000100000300320F1831960000000168EFBCB0", 960, 540),
                      fragments: videoFragments),
        ManifestTrack(kind: .video, bitrate: 800_000, source: "presentation_v800k.ismv", trackID: 1,
                      codec: video("000000016764001FACD940A02FF97011000003000100000300320F1831960000000168EFBCB0", 640, 360),
                      fragments: videoFragments),
        ManifestTrack(kind: .audio, bitrate: 128_000, source: "presentation_a128k.isma", trackID: 2, language: "eng",
                      codec: .audio(AudioCodecConfig(audioSpecificConfig: [0x11, 0x90], sampleRate: 48000, channels: 2)),
                      fragments: audioFragments),
    ]

    public static func build(_ options: ManifestBuilder.Options = .init()) throws -> PresentationManifests {
        try ManifestBuilder(presentation: "presentation", options: options).build(tracks)
    }
}
