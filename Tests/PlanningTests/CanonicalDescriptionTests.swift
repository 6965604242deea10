import Foundation
import MediaCore
import Testing
@testable import Planning

/// `profiles/default.yaml` written differently: keys in other orders, block instead of flow style, rungs
/// shuffled, defaults spelled out, factors replaced by the absolute values they give, other comments.
private let reorderedDefault = """
    # the same ladder, written differently
    audio:
      languages: first
      bitrate: 128000
      channels: 2
      sample_rate: 48000
      codec: aac
    video:
      rungs:
        - bitrate: 730k
          height: 360
          profile: main
        - { bitrate: 6M, height: 1080 }
        - { height: 270, profile: main, bitrate: 400k }
        - height: 720
          bitrate: 3000k
          maxrate: 4500k
          bufsize: 6000k
        - { height: 1080, bitrate: 4.5M }
        - { height: 540, bitrate: 2000k }
        - { height: 432, bitrate: 1100k, profile: main, preset: medium }
      bufsize_factor: 2.0
      maxrate_factor: 1.5
      bframes: 3
      profile: high
      preset: medium
      codec: h264
    fragment_duration: 2.0
    description: another description does not matter

    """

@Suite("Canonical description")
struct CanonicalDescriptionTests {
    let defaultText = BuiltinProfiles.defaultYAML

    @Test("re-ordering keys, rungs and spellings keeps it")
    func stableUnderReordering() throws {
        let reordered = try Profile.parse(yaml: reorderedDefault, file: "reordered.yaml", name: "reordered")
        #expect(reordered.canonicalDescription == builtin("default").canonicalDescription)
        #expect(reordered.video == builtin("default").video)
    }

    @Test("it is the same on every parse and names no file")
    func deterministic() {
        let a = builtin("default").canonicalDescription
        #expect(a == builtin("default").canonicalDescription)
        #expect(!a.contains("builtin") && !a.contains("Default ladder"))
        #expect(a.hasPrefix("smoothpack-profile/1\n"))
    }

    static let changes: [(String, String)] = [
        ("fragment_duration: 2", "fragment_duration: 4"),
        ("fragment_duration: 2", "fragment_duration: 2.002"),
        ("preset: medium", "preset: slow"),
        ("profile: high", "profile: main"),
        ("bframes: 3", "bframes: 2"),
        ("bframes: 3", "bframes: 3\n  refs: 4"),
        ("bframes: 3", "bframes: 3\n  level: 4.1"),
        ("bframes: 3", "bframes: 3\n  x264_params: {psy-rd: '1.0,0.15'}"),
        ("maxrate_factor: 1.5", "maxrate_factor: 1.4"),
        ("bufsize_factor: 2", "bufsize_factor: 1"),
        ("{ height: 1080, bitrate: 6000k }", "{ height: 1080, bitrate: 6001k }"),
        ("{ height: 720, bitrate: 3000k }", "{ height: 720, bitrate: 3000k, width: 1280 }"),
        ("{ height: 720, bitrate: 3000k }", "{ height: 720, bitrate: 3000k, name: hd }"),
        ("{ height: 720, bitrate: 3000k }", "{ height: 722, bitrate: 3000k }"),
        ("    - { height: 270, bitrate: 400k, profile: main }\n", ""),
        ("  sample_rate: 48000", "  sample_rate: 44100"),
        ("  channels: 2", "  channels: 1"),
        ("  bitrate: 128k", "  bitrate: 160k"),
        ("  languages: first", "  languages: all"),
        ("  languages: first", "  languages: first\n  surround: {channels: 6, bitrate: 384k}"),
    ]

    @Test("every changed value changes it, and no two changes collide")
    func changedByValues() throws {
        var seen = [builtin("default").canonicalDescription: "original"]
        for (old, new) in Self.changes {
            #expect(defaultText.contains(old), "edit does not apply: \(old)")
            let text = defaultText.replacingOccurrences(of: old, with: new)
            let changed = try Profile.parse(yaml: text, file: "changed.yaml", name: "default")
            let canonical = changed.canonicalDescription
            #expect(seen[canonical] == nil, "\(old) → \(new) gives the same description as \(seen[canonical] ?? "")")
            seen[canonical] = "\(old) → \(new)"
        }
    }

    @Test("a video-only or audio-only profile differs from the full one")
    func sectionsMatter() throws {
        let full = builtin("default")
        var videoOnly = full
        videoOnly.audio = nil
        var audioOnly = full
        audioOnly.video = nil
        let all = Set([full, videoOnly, audioOnly].map(\.canonicalDescription))
        #expect(all.count == 3)
    }

    @Test("free-form strings cannot forge a field")
    func quoting() throws {
        let a = RungProfile(name: "a", height: 360, encoding: VideoEncoding(bitrate: 500_000, maxrate: 500_000, bufsize: 1,
                                                                          x264Params: ["x": "1\",\"y\"=\"2"]))
        let b = RungProfile(name: "a", height: 360, encoding: VideoEncoding(bitrate: 500_000, maxrate: 500_000, bufsize: 1,
                                                                          x264Params: ["x": "1", "y": "2"]))
        func profile(_ r: RungProfile) -> Profile {
            Profile(name: "q", origin: "q", fragmentDuration: Rational(2, 1), video: VideoProfile(rungs: [r]), audio: nil)
        }
        #expect(profile(a).canonicalDescription != profile(b).canonicalDescription)
    }
}
