import Foundation
import Testing
import TestSupport

/// The library example (`Examples/BuildScript`, its own package depending on this one by path) builds, runs,
/// and makes a presentation that passes `smoothpack inspect --check`.
///
/// It builds in `Examples/BuildScript/.build` (ignored by git), the same folder `scripts/test` builds it in
/// (in the background, before these suites run), so the two share one build. A first build compiles
/// smoothpack's library and its dependencies again for that package: about a quarter of an hour on two
/// cores, so the build runs on a thread of its own (`External.runOffPool`), never on the cooperative pool.
/// `SMOOTHPACK_SKIP_EXAMPLE=1` skips it (for a quick local loop).
@Suite(.serialized) struct ExampleTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SMOOTHPACK_SKIP_EXAMPLE"] != "1"),
          .timeLimit(.minutes(20)))
    func buildScriptExamplePackagesAClip() async throws {
        let example = TestPaths.repositoryRoot.appendingPathComponent("Examples/BuildScript")
        let build = try await External.runOffPool(["swift", "build", "--package-path", example.path], timeout: 1200)
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        guard build.status == 0 else { return }
        let binPath = try await External.runOffPool(["swift", "build", "--package-path", example.path, "--show-bin-path"])
        let executable = URL(fileURLWithPath: binPath.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            .appendingPathComponent("package-clip")

        let out = try TestPaths.temporaryDirectory("example")
        let source = out.appendingPathComponent("example-clip.mp4")
        try Clips.variant("example", at: source, seconds: 2, size: "320x180")
        let run = try await External.runOffPool([executable.path, source.path, out.appendingPathComponent("www").path, "fast"])
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
            let check = try await External.runOffPool([SmoothpackBinary.path, "inspect", "--check", folder.appendingPathComponent(file).path])
            #expect(check.status == 0 && check.stdout.hasPrefix("OK"), "\(file): \(check.stdout)\(check.stderr)")
        }
    }
}
