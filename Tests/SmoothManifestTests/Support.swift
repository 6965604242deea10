import Foundation
import MediaCore
import SmoothManifest
import Testing

/// Golden files live in `Golden/` beside this file.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Compares `actual` with `Golden/<name>`. `RECORD_GOLDEN=1 swift test` re-records; a missing
    /// golden is recorded and the test fails, so new goldens get reviewed before they are committed.
    static func assertEqual(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
        guard !record, FileManager.default.fileExists(atPath: url.path) else {
            try Data(actual.utf8).write(to: url)
            Issue.record("recorded golden \(name); review and commit it", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == (try text(name)), "differs from Golden/\(name)", sourceLocation: sourceLocation)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// The repository root (for `docs/`).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Deterministic generator for fuzz-style tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs a command, returns its exit status and standard output.
@discardableResult
func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
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
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("smoothmanifest-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The inputs of the docs/format.md §4.6 example: 3 video rungs (real x264 SPS/PPS) and one audio track.
enum Example46 {
    static func video(_ cpdHex: String, _ w: Int, _ h: Int) -> CodecConfig {
        let cpd = Hex.decode(cpdHex)!
        // 00000001 SPS 00000001 PPS: the PPS is the last 4 bytes of these examples.
        let pps = Array(cpd.suffix(4))
        let sps = Array(cpd[4..<(cpd.count - 8)])
        return .video(VideoCodecConfig(sps: sps, pps: pps, width: w, height: h, frameDuration: Rational(1, 25)))
    }

    static let videoFragments: [FragmentTiming] = (0..<5).map { FragmentTiming(time: Int64($0) * 20_000_000, duration: 20_000_000) }

    /// Boundaries at round(k·1024·10⁷/48000) for k = 0, 94, 188, 282, 376, 469.
    static let audioFragments: [FragmentTiming] = {
        let frames: [Int64] = [0, 94, 188, 282, 376, 469]
        let t = frames.map { Clock.time(ofUnit: $0 * 1024, unitDuration: Rational(1, 48000)) }
        return (0..<5).map { FragmentTiming(time: t[$0], duration: t[$0 + 1] - t[$0]) }
    }()

    static let tracks: [ManifestTrack] = [
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

    static func build(_ options: ManifestBuilder.Options = .init()) throws -> PresentationManifests {
        try ManifestBuilder(presentation: "presentation", options: options).build(tracks)
    }
}
