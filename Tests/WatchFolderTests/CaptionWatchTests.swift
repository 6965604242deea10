import Foundation
import ServiceLifecycle
import Testing
import TestSupport
@testable import WatchFolder

/// Caption sidecars in the watch folder: never jobs of their own, taken with their video (and filed with it),
/// and a caption dropped after its video was published brings the video back for a new version.
@Suite struct CaptionWatchTests {
    @Test func aSidecarGoesWithItsVideoAndALateCaptionMakesItAgain() async throws {
        let encoder = ScriptedEncoder { _, _ in }
        let harness = try ServiceHarness(encoder)
        try harness.drop("shows/clip.mp4")
        try Data("1\n00:00:01,000 --> 00:00:02,000\nHello\n".utf8)
            .write(to: harness.inbox.appendingPathComponent("shows/clip.en.srt"))
        async let run: Void = harness.group.run()
        let done = harness.inbox.appendingPathComponent("done/shows")
        let filed = await eventually {
            FileManager.default.fileExists(atPath: done.appendingPathComponent("clip.mp4").path)
                && FileManager.default.fileExists(atPath: done.appendingPathComponent("clip.en.srt").path)
        }
        #expect(filed, "the video and its sidecar are filed together")
        #expect(encoder.calls == 1)
        #expect(try await harness.store.allJobs().map(\.source) == ["shows/clip.mp4"], "the .srt is not a job")

        // A French caption arrives later: the video comes back, runs again (a new fingerprint), and is filed
        // again with both captions.
        try Data("1\n00:00:01,000 --> 00:00:02,000\nBonjour\n".utf8)
            .write(to: harness.inbox.appendingPathComponent("shows/clip.fr.srt"))
        let again = await eventually {
            encoder.calls == 2 && FileManager.default.fileExists(atPath: done.appendingPathComponent("clip.fr.srt").path)
                && FileManager.default.fileExists(atPath: done.appendingPathComponent("clip.mp4").path)
        }
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(again, "a late caption makes the presentation again")
        let jobs = try await harness.store.allJobs()
        #expect(jobs.count == 2 && jobs.allSatisfy { $0.state == .done })
        #expect(FileManager.default.fileExists(atPath: done.appendingPathComponent("clip.en.srt").path))
        #expect(!FileManager.default.fileExists(atPath: harness.inbox.appendingPathComponent("failed").path))
    }
}
