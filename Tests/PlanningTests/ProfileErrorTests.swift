import Foundation
import MediaCore
import Testing
@testable import Planning

/// A valid profile; each error case edits one spot of it.
private let base = """
    description: base for error tests
    fragment_duration: 2
    video:
      preset: medium
      profile: high
      maxrate_factor: 1.5
      rungs:
        - height: 1080
          bitrate: 6000k
        - height: 720
          bitrate: 3000k
        - height: 360
          bitrate: 800k
    audio:
      codec: aac
      sample_rate: 48000
      channels: 2
      bitrate: 128k
      languages: first

    """

private let rungsBlock = "  rungs:\n    - height: 1080\n      bitrate: 6000k\n    - height: 720\n      bitrate: 3000k\n    - height: 360\n      bitrate: 800k\n"

struct ErrorCase: CustomTestStringConvertible, Sendable {
    var label: String
    var replace: String
    var with: String
    var kind: ProfileError.Kind
    var keyPath: String
    var reason: String
    var testDescription: String { label }
}

private func edit(_ replace: String, _ with: String) -> String {
    precondition(base.contains(replace), "test edit does not apply: \(replace)")
    return base.replacingOccurrences(of: replace, with: with)
}

@Suite("Profile validation")
struct ProfileErrorTests {
    @Test("the base profile is valid")
    func baseIsValid() throws {
        let p = try Profile.parse(yaml: base, file: "base.yaml", name: "base")
        #expect(p.video?.rungs.count == 3)
    }

    static let cases: [ErrorCase] = [
        .init(label: "unknown top-level key", replace: "fragment_duration: 2", with: "fragment_duration: 2\ncolour: red",
              kind: .unknownKey, keyPath: "colour", reason: "unknown key 'colour'"),
        .init(label: "unknown rung key", replace: "    - height: 720\n", with: "    - heigth: 720\n",
              kind: .unknownKey, keyPath: "video.rungs[1].heigth", reason: "unknown key"),
        .init(label: "unknown audio key", replace: "  languages: first", with: "  language: first",
              kind: .unknownKey, keyPath: "audio.language", reason: "expected one of"),
        .init(label: "zero bitrate", replace: "bitrate: 6000k", with: "bitrate: 0",
              kind: .invalidValue, keyPath: "video.rungs[0].bitrate", reason: "must be positive"),
        .init(label: "negative bitrate", replace: "bitrate: 3000k", with: "bitrate: -3000k",
              kind: .invalidValue, keyPath: "video.rungs[1].bitrate", reason: "must be positive"),
        .init(label: "bitrate in kb/s by mistake", replace: "bitrate: 6000k", with: "bitrate: 6000",
              kind: .invalidValue, keyPath: "video.rungs[0].bitrate", reason: "implausibly low"),
        .init(label: "bitrate not a number", replace: "bitrate: 6000k", with: "bitrate: fast",
              kind: .wrongType, keyPath: "video.rungs[0].bitrate", reason: "bits per second"),
        .init(label: "odd height", replace: "height: 360", with: "height: 361",
              kind: .invalidValue, keyPath: "video.rungs[2].height", reason: "must be even"),
        .init(label: "odd width", replace: "    - height: 720\n", with: "    - width: 1279\n      height: 720\n",
              kind: .invalidValue, keyPath: "video.rungs[1].width", reason: "must be even"),
        .init(label: "zero height", replace: "height: 360", with: "height: 0",
              kind: .invalidValue, keyPath: "video.rungs[2].height", reason: "must be positive"),
        .init(label: "missing height", replace: "    - height: 720\n      bitrate: 3000k", with: "    - bitrate: 3000k",
              kind: .missingKey, keyPath: "video.rungs[1].height", reason: "missing required key"),
        .init(label: "zero fragment duration", replace: "fragment_duration: 2", with: "fragment_duration: 0",
              kind: .invalidValue, keyPath: "fragment_duration", reason: "must be positive"),
        .init(label: "negative fragment duration", replace: "fragment_duration: 2", with: "fragment_duration: -2.0",
              kind: .invalidValue, keyPath: "fragment_duration", reason: "must be positive"),
        .init(label: "fragment duration not a number", replace: "fragment_duration: 2", with: "fragment_duration: 2s",
              kind: .wrongType, keyPath: "fragment_duration", reason: "must be a number"),
        .init(label: "rung maxrate below bitrate", replace: "bitrate: 3000k", with: "bitrate: 3000k\n      maxrate: 2000k",
              kind: .invalidValue, keyPath: "video.rungs[1].maxrate", reason: "is below the bitrate"),
        .init(label: "maxrate factor below 1", replace: "maxrate_factor: 1.5", with: "maxrate_factor: 0.9",
              kind: .invalidValue, keyPath: "video.maxrate_factor", reason: "maxrate below the bitrate"),
        .init(label: "video-level absolute maxrate below a rung", replace: "maxrate_factor: 1.5", with: "maxrate: 5000k",
              kind: .invalidValue, keyPath: "video.maxrate", reason: "below the bitrate 6000000 of video.rungs[0]"),
        .init(label: "maxrate and maxrate_factor together", replace: "maxrate_factor: 1.5",
              with: "maxrate_factor: 1.5\n  maxrate: 9M",
              kind: .invalidValue, keyPath: "video.maxrate", reason: "not both"),
        .init(label: "zero bufsize factor", replace: "maxrate_factor: 1.5", with: "bufsize_factor: 0",
              kind: .invalidValue, keyPath: "video.bufsize_factor", reason: "greater than 0"),
        .init(label: "duplicate bitrate", replace: "bitrate: 800k", with: "bitrate: 3M",
              kind: .invalidValue, keyPath: "video.rungs[2].bitrate", reason: "duplicate bitrate 3000000, already used by video.rungs[1]"),
        .init(label: "unknown preset", replace: "preset: medium", with: "preset: superslow",
              kind: .invalidValue, keyPath: "video.preset", reason: "unknown value 'superslow'"),
        .init(label: "unknown rung preset", replace: "bitrate: 800k", with: "bitrate: 800k\n      preset: quick",
              kind: .invalidValue, keyPath: "video.rungs[2].preset", reason: "unknown value 'quick'"),
        .init(label: "unknown H.264 profile", replace: "profile: high", with: "profile: high10",
              kind: .invalidValue, keyPath: "video.profile", reason: "expected one of: high, main, baseline"),
        .init(label: "unknown level", replace: "profile: high", with: "profile: high\n  level: 4.7",
              kind: .invalidValue, keyPath: "video.level", reason: "unknown H.264 level"),
        .init(label: "B-frames in a baseline rung", replace: "bitrate: 800k", with: "bitrate: 800k\n      profile: baseline\n      bframes: 2",
              kind: .invalidValue, keyPath: "video.rungs[2].bframes", reason: "baseline profile has no B-frames"),
        .init(label: "too many bframes", replace: "profile: high", with: "profile: high\n  bframes: 17",
              kind: .invalidValue, keyPath: "video.bframes", reason: "between 0 and 16"),
        .init(label: "refs not a number", replace: "profile: high", with: "profile: high\n  refs: many",
              kind: .wrongType, keyPath: "video.refs", reason: "whole number"),
        .init(label: "x264 param with a bad name", replace: "profile: high", with: "profile: high\n  x264_params: {Psy-RD: 1}",
              kind: .invalidValue, keyPath: "video.x264_params.Psy-RD", reason: "[a-z0-9_-]+"),
        .init(label: "x264 param that breaks the GOP", replace: "profile: high", with: "profile: high\n  x264_params: {keyint: 250}",
              kind: .invalidValue, keyPath: "video.x264_params.keyint", reason: "set by smoothpack"),
        .init(label: "x264 threads (output would depend on the machine)", replace: "profile: high",
              with: "profile: high\n  x264_params: {threads: 4}",
              kind: .invalidValue, keyPath: "video.x264_params.threads", reason: "same bytes"),
        .init(label: "x264 sliced threads", replace: "profile: high", with: "profile: high\n  x264_params: {sliced_threads: 1}",
              kind: .invalidValue, keyPath: "video.x264_params.sliced_threads", reason: "one thread"),
        .init(label: "x264 non-deterministic", replace: "profile: high",
              with: "profile: high\n  x264_params: {non-deterministic: 1}",
              kind: .invalidValue, keyPath: "video.x264_params.non-deterministic", reason: "same bytes"),
        .init(label: "x264 open GOP", replace: "profile: high", with: "profile: high\n  x264_params: {open_gop: 1}",
              kind: .invalidValue, keyPath: "video.x264_params.open_gop", reason: "open GOPs"),
        .init(label: "x264 param value with a colon", replace: "profile: high", with: "profile: high\n  x264_params: {aq-mode: '1:2'}",
              kind: .invalidValue, keyPath: "video.x264_params.aq-mode", reason: "without ':'"),
        .init(label: "video codec other than h264", replace: "preset: medium", with: "preset: medium\n  codec: hevc",
              kind: .invalidValue, keyPath: "video.codec", reason: "unknown value 'hevc'"),
        .init(label: "rungs missing", replace: rungsBlock, with: "",
              kind: .missingKey, keyPath: "video.rungs", reason: "missing required key"),
        .init(label: "rungs not a list", replace: rungsBlock, with: "  rungs: 5\n",
              kind: .wrongType, keyPath: "video.rungs", reason: "must be a list"),
        .init(label: "rung not a mapping", replace: "    - height: 720\n      bitrate: 3000k", with: "    - 720p",
              kind: .wrongType, keyPath: "video.rungs[1]", reason: "must be a mapping"),
        .init(label: "sample rate not an AAC rate", replace: "sample_rate: 48000", with: "sample_rate: 47000",
              kind: .invalidValue, keyPath: "audio.sample_rate", reason: "not an AAC sampling rate"),
        .init(label: "three channels", replace: "channels: 2", with: "channels: 3",
              kind: .invalidValue, keyPath: "audio.channels", reason: "must be 1, 2 or 6"),
        .init(label: "audio codec other than aac", replace: "codec: aac", with: "codec: mp3",
              kind: .invalidValue, keyPath: "audio.codec", reason: "unknown value 'mp3'"),
        .init(label: "zero audio bitrate", replace: "bitrate: 128k", with: "bitrate: 0",
              kind: .invalidValue, keyPath: "audio.bitrate", reason: "must be positive"),
        .init(label: "audio bitrate above AAC's maximum", replace: "bitrate: 128k", with: "bitrate: 700k",
              kind: .invalidValue, keyPath: "audio.bitrate", reason: "exceeds AAC-LC's maximum"),
        .init(label: "unknown language selection", replace: "languages: first", with: "languages: some",
              kind: .invalidValue, keyPath: "audio.languages", reason: "expected one of: first, all"),
        .init(label: "surround not 6 channels", replace: "languages: first", with: "surround: {channels: 8, bitrate: 448k}",
              kind: .invalidValue, keyPath: "audio.surround.channels", reason: "must be 6"),
        .init(label: "surround bitrate equal to stereo", replace: "languages: first", with: "surround: {channels: 6, bitrate: 128000}",
              kind: .invalidValue, keyPath: "audio.surround.bitrate", reason: "must differ"),
        .init(label: "unknown surround key", replace: "languages: first", with: "surround: {channels: 6, layout: 5.1}",
              kind: .unknownKey, keyPath: "audio.surround.layout", reason: "unknown key"),
        .init(label: "YAML syntax error", replace: "  rungs:\n", with: "  rungs: [\n",
              kind: .syntax, keyPath: "", reason: "invalid YAML"),
        .init(label: "duplicate key", replace: "  channels: 2", with: "  channels: 2\n  channels: 1",
              kind: .syntax, keyPath: "channels", reason: "duplicate key"),
    ]

    @Test("each rejected value names file, key path and reason on one line", arguments: cases)
    func rejects(_ c: ErrorCase) {
        let yaml = edit(c.replace, c.with)
        do {
            _ = try Profile.parse(yaml: yaml, file: "profiles/broken.yaml", name: "broken")
            Issue.record("accepted: \(c.label)")
        } catch {
            #expect(error.kind == c.kind)
            #expect(error.file == "profiles/broken.yaml")
            #expect(error.keyPath == c.keyPath)
            #expect(error.reason.contains(c.reason), "reason was: \(error.reason)")
            let text = error.description
            #expect(text.hasPrefix("profiles/broken.yaml"))
            #expect(text.contains(c.keyPath.isEmpty ? "(document)" : c.keyPath))
            #expect(text.contains(c.reason))
            #expect(!text.contains("\n"))
        }
    }

    @Test("errors carry the line of the offending value")
    func lineNumbers() throws {
        let yaml = edit("height: 360", "height: 361")
        let e = try #require(throws: ProfileError.self) {
            try Profile.parse(yaml: yaml, file: "x.yaml", name: "x")
        }
        #expect(e.line == 12)
        #expect(e.description == "x.yaml:12: video.rungs[2].height: must be even (4:2:0 chroma), got 361")
    }

    @Test("a file's errors name its path")
    func fileErrorsNamePath() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.yaml").path
        try edit("channels: 2", "channels: 3").write(toFile: path, atomically: true, encoding: .utf8)
        let e = try #require(throws: ProfileError.self) { try Profile.load(path, profilesDirectory: nil) }
        #expect(e.description.hasPrefix("\(path):"))
        #expect(e.description.contains("audio.channels"))
    }

    @Test("documents that are not profiles", arguments: ["", "# only a comment\n", "- a\n- list\n", "description: nothing else\n"])
    func notAProfile(yaml: String) {
        #expect(throws: ProfileError.self) { try Profile.parse(yaml: yaml, file: "e.yaml", name: "e") }
    }

    @Test("values accepted in several spellings", arguments: [
        ("fragment_duration: 2", Rational(2, 1)), ("fragment_duration: 2.0", Rational(2, 1)),
        ("fragment_duration: \"2\"", Rational(2, 1)), ("fragment_duration: 1.5", Rational(3, 2)),
        ("fragment_duration: 2.002", Rational(1001, 500)), ("fragment_duration: 1001/500", Rational(1001, 500)),
    ])
    func fragmentDurationSpellings(line: String, expected: Rational) throws {
        let p = try Profile.parse(yaml: edit("fragment_duration: 2", line), file: "f.yaml", name: "f")
        #expect(p.fragmentDuration == expected)
    }

    @Test("bitrate spellings", arguments: [("6000k", 6_000_000), ("6M", 6_000_000), ("6000000", 6_000_000),
                                            ("6_000_000", 6_000_000), ("5.5M", 5_500_000), ("4500.5k", 4_500_500)])
    func bitrateSpellings(text: String, bps: Int) throws {
        let p = try Profile.parse(yaml: edit("bitrate: 6000k", "bitrate: \(text)"), file: "b.yaml", name: "b")
        #expect(p.video?.rungs.first?.encoding.bitrate == bps)
    }

    @Test("optional keys given as null take their defaults")
    func nullIsDefault() throws {
        let p = try Profile.parse(yaml: edit("profile: high", "profile: ~\n  level: null"), file: "n.yaml", name: "n")
        #expect(p.video?.rungs.first?.encoding.profile == .high)
        #expect(p.video?.rungs.first?.encoding.level == nil)
    }

    @Test("levels are normalised")
    func levels() throws {
        for (text, level) in [("4.0", "4"), ("3.1", "3.1"), ("'1b'", "1b"), ("5", "5")] {
            let p = try Profile.parse(yaml: edit("profile: high", "profile: high\n  level: \(text)"), file: "l.yaml", name: "l")
            #expect(p.video?.rungs.first?.encoding.level == level)
        }
    }
}
