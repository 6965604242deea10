import Foundation
import SmoothManifest
import TestSupport
import Testing

/// The `smoothpack` executable as users run it: exit codes, one-line errors, skipped files, JSON.
@Suite struct EncodeCommandTests {
    @Test func aBatchWithACorruptFileFailsOnlyThatFile() throws {
        let inbox = try TestPaths.temporaryDirectory("batch-in")
        let out = try TestPaths.temporaryDirectory("batch-out")
        defer { try? FileManager.default.removeItem(at: inbox); try? FileManager.default.removeItem(at: out) }
        let good = TestPaths.testMedia("tone-44100hz-audio-only.m4a")
        try FileManager.default.copyItem(atPath: good, toPath: inbox.appendingPathComponent("good.m4a").path)
        let bars = try Data(contentsOf: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")))
        try bars.prefix(bars.count / 2).write(to: inbox.appendingPathComponent("corrupt.mp4"))     // mdat cut in half
        try Data("shopping list\n".utf8).write(to: inbox.appendingPathComponent("notes.txt"))
        try Data([0, 1, 2]).write(to: inbox.appendingPathComponent("upload.mp4.part"))              // still arriving

        let run = try External.run([try TestPaths.smoothpackBinary, "encode", inbox.path, "--out", out.path, "--profile", "fast"])
        #expect(run.status == 1)
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("failed") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("corrupt.mp4") == true)
        #expect(run.stdout.contains("skipped \(inbox.appendingPathComponent("notes.txt").path)"))
        #expect(!run.stdout.contains("upload.mp4.part"))
        #expect(run.stdout.contains("1 created, 0 up to date, 1 failed, 1 skipped"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("corrupt").path))
        let versions = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("good").path)
        #expect(versions.count == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func jsonReportAndUpToDateRerun() throws {
        let out = try TestPaths.temporaryDirectory("json")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = TestPaths.testMedia("film-23976fps-video-only.mkv")
        let binary = try TestPaths.smoothpackBinary
        let first = try External.run([binary, "encode", source, "--out", out.path, "--profile", "fast", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: first.stdoutData) as? [String: Any])
        let entry = try #require((doc["presentations"] as? [[String: Any]])?.first)
        #expect(entry["status"] as? String == "created")
        let prefix = try #require(entry["prefix"] as? String)
        #expect(entry["playbackPath"] as? String == "\(prefix)film-23976fps-video-only.ism/Manifest")
        let rungs = try #require(entry["rungs"] as? [[String: Any]])
        #expect(!rungs.isEmpty && rungs.allSatisfy { ($0["measuredBitrate"] as? Int ?? 0) > 0 })

        let second = try External.run([binary, "encode", source, "--out", out.path, "--profile", "fast", "--json"])
        #expect(second.status == 0)
        let again = try #require(try JSONSerialization.jsonObject(with: second.stdoutData) as? [String: Any])
        #expect((again["presentations"] as? [[String: Any]])?.first?["status"] as? String == "up-to-date")
    }

    @Test func usageErrorsExitWith2() throws {
        let binary = try TestPaths.smoothpackBinary
        #expect(try External.run([binary, "encode", "--out", "/tmp/x"]).status == 2)
        #expect(try External.run([binary, "encode", "x.mp4", "--out", "/tmp/x", "--jobs", "0"]).status == 2)
        let badProfile = try External.run([binary, "encode", TestPaths.testMedia("bars-25fps-stereo.mp4"), "--out", "/tmp/x",
                                           "--profile", "no-such-profile"])
        #expect(badProfile.status == 2)
        #expect(badProfile.stderr.contains("no-such-profile"))
        let missing = try External.run([binary, "encode", "/nonexistent/clip.mp4", "--out", "/tmp/x"])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent/clip.mp4"))
    }

    @Test func limitsRefuseWithAReason() throws {
        let out = try TestPaths.temporaryDirectory("limits")
        defer { try? FileManager.default.removeItem(at: out) }
        let binary = try TestPaths.smoothpackBinary
        let source = TestPaths.testMedia("bars-25fps-stereo.mp4")
        let cases: [([String], String)] = [
            (["--max-resolution", "320x240"], "over the 320x240 limit"),
            (["--max-duration", "3"], "over the 3 s limit"),
            (["--max-file-size", "100k"], "over the 100000-byte limit"),
            (["--max-streams", "1"], "over the limit of 1"),
        ]
        for (options, reason) in cases {
            let run = try External.run([binary, "encode", source, "--out", out.path, "--profile", "fast"] + options)
            #expect(run.status == 1)
            #expect(run.stderr.contains(reason) && run.stderr.contains(source), "\(options): \(run.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    @Test func severalAudioLanguagesGetOneStreamIndexEach() throws {
        let dir = try TestPaths.temporaryDirectory("langs")
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("two-languages.mkv").path
        let make = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=3",
                                     "-f", "lavfi", "-i", "sine=frequency=300:duration=3", "-f", "lavfi", "-i", "sine=frequency=600:duration=3",
                                     "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-c:a", "aac",
                                     "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra", source])
        #expect(make.status == 0, "\(make.stderr)")
        let profile = dir.appendingPathComponent("langs.yaml")
        let yaml = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("profiles/fast.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "languages: first", with: "languages: all")
        try yaml.write(to: profile, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let run = try External.run([try TestPaths.smoothpackBinary, "encode", source, "--out", out.path, "--profile", profile.path])
        #expect(run.status == 0, "\(run.stderr)")
        let ismc = try #require(FileManager.default.enumerator(atPath: out.path)?.compactMap { $0 as? String }.first { $0.hasSuffix(".ismc") })
        let client = try ClientManifest(xml: Array(try Data(contentsOf: out.appendingPathComponent(ismc))))
        let audio = client.streams.filter { $0.type == .audio }
        #expect(audio.map(\.name).sorted() == ["audio_eng", "audio_fra"])
        #expect(audio.map { $0.language ?? "" }.sorted() == ["eng", "fra"])
    }
}
