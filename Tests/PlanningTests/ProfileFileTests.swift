import Foundation
import MediaCore
import Testing
@testable import Planning

@Suite("Profile files and built-ins")
struct ProfileFileTests {
    @Test("built-in constant equals profiles/<name>.yaml byte for byte", arguments: BuiltinProfiles.names)
    func builtinMatchesFile(name: String) throws {
        let url = try repositoryRoot().appendingPathComponent("profiles/\(name).yaml")
        let file = try Data(contentsOf: url)
        let constant = try #require(BuiltinProfiles.yaml(named: name))
        #expect(Data(constant.utf8) == file,
                "Sources/Planning/BuiltinProfiles.swift is stale: run profiles/update-builtins.sh")
    }

    @Test("every .yaml in profiles/ is a built-in")
    func everyFileIsBuiltin() throws {
        #expect(ProfilesDirectory.profileNames(in: try profilesDirectory()) == BuiltinProfiles.names.sorted())
    }

    @Test("file and built-in parse to the same profile", arguments: BuiltinProfiles.names)
    func fileAndBuiltinAgree(name: String) throws {
        let fromFile = try Profile.load(name, profilesDirectory: try profilesDirectory())
        let fromBuiltin = try Profile.load(name, profilesDirectory: nil)
        #expect(fromFile.origin.hasSuffix("profiles/\(name).yaml"))
        #expect(fromBuiltin.origin == "builtin:\(name)")
        #expect(fromFile.canonicalDescription == fromBuiltin.canonicalDescription)
        var renamed = fromFile
        renamed.origin = fromBuiltin.origin
        #expect(renamed == fromBuiltin)
    }

    @Test("default.yaml is the issue's ladder")
    func defaultLadder() throws {
        let p = builtin("default")
        #expect(p.name == "default")
        #expect(p.fragmentDuration == Rational(2, 1))
        let rungs = try #require(p.video?.rungs)
        let expected: [(String, Int, Int, H264Profile)] = [
            ("1080p", 1080, 6_000_000, .high), ("1080p_4500k", 1080, 4_500_000, .high),
            ("720p", 720, 3_000_000, .high), ("540p", 540, 2_000_000, .high),
            ("432p", 432, 1_100_000, .main), ("360p", 360, 730_000, .main), ("270p", 270, 400_000, .main),
        ]
        #expect(rungs.count == expected.count)
        for (rung, (name, height, bitrate, profile)) in zip(rungs, expected) {
            #expect(rung.name == name)
            #expect(rung.width == nil)
            #expect(rung.height == height)
            #expect(rung.encoding.bitrate == bitrate)
            #expect(rung.encoding.maxrate == bitrate * 3 / 2)
            #expect(rung.encoding.bufsize == bitrate * 2)
            #expect(rung.encoding.profile == profile)
            #expect(rung.encoding.level == nil)
            #expect(rung.encoding.bframes == 3)
            #expect(rung.encoding.x264Params.isEmpty)
        }
        let audio = try #require(p.audio)
        #expect(audio == AudioProfile(codec: "aac", sampleRate: 48000, channels: 2, bitrate: 128_000,
                                      surround: nil, languages: .first))
    }

    @Test("fast.yaml is small and fast")
    func fastProfile() throws {
        let p = builtin("fast")
        let rungs = try #require(p.video?.rungs)
        #expect(rungs.map(\.height) == [360, 270, 180])
        #expect(rungs.map(\.encoding.bitrate) == [600_000, 350_000, 200_000])
        #expect(rungs.allSatisfy { $0.encoding.preset == "ultrafast" })
        #expect(rungs.last?.encoding.profile == .baseline && rungs.last?.encoding.bframes == 0)
        #expect(p.fragmentDuration == Rational(2, 1))
        #expect(p.audio?.bitrate == 96_000 && p.audio?.channels == 2 && p.audio?.sampleRate == 48000)
    }

    @Test("bench-4rung.yaml: fixed sizes, maxrate 1.1x, no scene-cut")
    func benchProfile() throws {
        let p = builtin("bench-4rung")
        let rungs = try #require(p.video?.rungs)
        #expect(rungs.map { "\($0.width ?? 0)x\($0.height)" } == ["1280x720", "960x540", "640x360", "480x270"])
        #expect(rungs.map(\.encoding.bitrate) == [2_400_000, 1_500_000, 800_000, 400_000])
        #expect(rungs.map(\.encoding.maxrate) == [2_640_000, 1_650_000, 880_000, 440_000])
        #expect(rungs.map(\.encoding.bufsize) == [4_800_000, 3_000_000, 1_600_000, 800_000])
        #expect(rungs.allSatisfy { $0.encoding.preset == "veryfast" && $0.encoding.x264Params == ["scenecut": "0", "open-gop": "0"] })
        #expect(p.fragmentDuration == Rational(2, 1))
        #expect(p.audio?.bitrate == 128_000 && p.audio?.channels == 2 && p.audio?.codec == "aac")
    }

    // MARK: Lookup

    @Test("a path to a .yaml file loads it, named by its stem")
    func loadByPath() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("tiny.yaml").path
        try "audio: {bitrate: 64k}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let p = try Profile.load(path, profilesDirectory: nil)
        #expect(p.name == "tiny" && p.origin == path && p.video == nil && p.audio?.bitrate == 64_000)
        #expect(try Profile.load(contentsOf: path) == p)
    }

    @Test("a profiles directory's file wins over the built-in of the same name")
    func directoryWinsOverBuiltin() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "video: {rungs: [{height: 240, bitrate: 300k}]}\n"
            .write(to: dir.appendingPathComponent("default.yaml"), atomically: true, encoding: .utf8)
        let p = try Profile.load("default", profilesDirectory: dir.path)
        #expect(p.video?.rungs.map(\.height) == [240])
        // A name the directory lacks still finds the built-in.
        #expect(try Profile.load("fast", profilesDirectory: dir.path).origin == "builtin:fast")
    }

    @Test("unknown names and missing files are notFound errors",
          arguments: ["nope", "../etc/passwd.yaml", "/no/such/dir/x.yaml", "bad name"])
    func notFound(name: String) {
        #expect {
            try Profile.load(name, profilesDirectory: try profilesDirectory())
        } throws: { error in
            guard let e = error as? ProfileError else { return false }
            return e.kind == .notFound && e.description.contains(name) && !e.description.contains("\n")
        }
    }

    @Test("locate: explicit, then $SMOOTHPACK_PROFILES, then next to the executable, then ./profiles")
    func locateOrder() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        func dirWithProfile(_ relative: String) throws -> String {
            let url = root.appendingPathComponent(relative)
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            try "audio: {}\n".write(to: url.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
            return url.standardizedFileURL.path
        }
        let explicit = try dirWithProfile("explicit")
        let env = try dirWithProfile("env")
        let repo = try dirWithProfile("repo/profiles")
        let share = try dirWithProfile("prefix/share/smoothpack/profiles")
        let cwd = try dirWithProfile("cwd/profiles")
        let buildExe = root.appendingPathComponent("repo/.build/debug/smoothpack").path
        let installedExe = root.appendingPathComponent("prefix/bin/smoothpack").path
        let cwdRoot = root.appendingPathComponent("cwd").path
        let envVars = [ProfilesDirectory.environmentVariable: env]

        let a = try ProfilesDirectory.locate(explicit: explicit, environment: envVars, executablePath: buildExe, currentDirectory: cwdRoot)
        #expect(a?.path == explicit && a?.origin == .explicit)
        let b = try ProfilesDirectory.locate(environment: envVars, executablePath: buildExe, currentDirectory: cwdRoot)
        #expect(b?.path == env && b?.origin == .environment)
        let c = try ProfilesDirectory.locate(environment: [:], executablePath: buildExe, currentDirectory: cwdRoot)
        #expect(c?.path == repo && c?.origin == .executableRelative)
        let d = try ProfilesDirectory.locate(environment: [:], executablePath: installedExe, currentDirectory: cwdRoot)
        #expect(d?.path == share && d?.origin == .installedShare)
        let e = try ProfilesDirectory.locate(environment: [:], executablePath: nil, currentDirectory: cwdRoot)
        #expect(e?.path == cwd && e?.origin == .currentDirectory)
        let none = try ProfilesDirectory.locate(environment: [:], executablePath: nil, currentDirectory: root.path)
        #expect(none == nil)
        // An empty ./profiles (no .yaml) does not count.
        try fm.createDirectory(at: root.appendingPathComponent("empty/profiles"), withIntermediateDirectories: true)
        #expect(try ProfilesDirectory.locate(environment: [:], executablePath: nil,
                                             currentDirectory: root.appendingPathComponent("empty").path) == nil)
        // A given directory that does not exist is an error, not a silent fallback.
        #expect(throws: ProfileError.self) {
            try ProfilesDirectory.locate(explicit: root.appendingPathComponent("typo").path, environment: [:])
        }
        #expect(throws: ProfileError.self) {
            try ProfilesDirectory.locate(environment: [ProfilesDirectory.environmentVariable: "/no/such/dir"])
        }
    }

    @Test("the repository's profiles/ is found from the repository root")
    func locateRepository() throws {
        let found = try ProfilesDirectory.locate(environment: [:], executablePath: nil,
                                                 currentDirectory: try repositoryRoot().path)
        #expect(found?.origin == .currentDirectory)
        #expect(found.map { ProfilesDirectory.profileNames(in: $0.path) } == BuiltinProfiles.names.sorted())
    }
}
