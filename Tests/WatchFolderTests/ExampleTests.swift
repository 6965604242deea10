import Foundation
import Testing
import TestSupport

/// The library example (`Examples/BuildScript`, its own package depending on this one by path) builds, runs,
/// and makes a presentation that passes `smoothpack inspect --check`.
///
/// It builds in `Examples/BuildScript/.build` (ignored by git), the same folder CI's explicit
/// `swift build --package-path Examples/BuildScript` uses, so the two share one build. The first build
/// compiles smoothpack's library again for that package: about a minute on two cores.
/// `SMOOTHPACK_SKIP_EXAMPLE=1` skips it (for a quick local loop).
@Suite(.serialized) struct ExampleTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SMOOTHPACK_SKIP_EXAMPLE"] != "1"),
          .timeLimit(.minutes(20)))
    func buildScriptExamplePackagesAClip() async throws {
        let example = TestPaths.repositoryRoot.appendingPathComponent("Examples/BuildScript")
        let build = try External.run(["swift", "build", "--package-path", example.path], timeout: 1200)
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        guard build.status == 0 else { return }
        let binPath = try External.run(["swift", "build", "--package-path", example.path, "--show-bin-path"])
        let executable = URL(fileURLWithPath: binPath.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            .appendingPathComponent("package-clip")

        let out = try TestPaths.temporaryDirectory("example")
        let source = out.appendingPathComponent("example-clip.mp4")
        try Clips.variant("example", at: source, seconds: 2, size: "320x180")
        let run = try External.run([executable.path, source.path, out.appendingPathComponent("www").path, "fast"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("phase: encoding") && run.stdout.contains("status: created"))
        let playback = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("playback: ") })
        let path = String(playback.dropFirst("playback: ".count))
        #expect(path.hasPrefix("example-clip/") && path.hasSuffix("/example-clip.ism/Manifest"))

        let folder = out.appendingPathComponent("www").appendingPathComponent(path)
            .deletingLastPathComponent().deletingLastPathComponent()
        let media = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".ismv") || $0.hasSuffix(".isma") }
        #expect(!media.isEmpty)
        for file in media {
            let check = try External.run([SmoothpackBinary.path, "inspect", "--check", folder.appendingPathComponent(file).path])
            #expect(check.status == 0 && check.stdout.hasPrefix("OK"), "\(file): \(check.stdout)\(check.stderr)")
        }
    }
}
