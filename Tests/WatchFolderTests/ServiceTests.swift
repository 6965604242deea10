import Foundation
import Logging
import ServiceLifecycle
import SmoothPack
import Synchronization
import Testing
import TestSupport
@testable import WatchFolder

/// An encoder driven by a script, to test retries, failures and shutdown without media.
final class ScriptedEncoder: SourceEncoder {
    private let count = Mutex(0)
    private let script: @Sendable (Int, URL) async throws -> Void

    init(_ script: @escaping @Sendable (Int, URL) async throws -> Void) { self.script = script }

    var calls: Int { count.withLock { $0 } }

    func encode(source: URL, into outDir: URL) async throws -> EncodedSource {
        let call = count.withLock { $0 += 1; return $0 }
        try await script(call, source)
        let stem = source.deletingPathExtension().lastPathComponent
        return EncodedSource(prefix: "\(stem)/v1/", playbackPath: "\(stem)/v1/\(stem).ism/Manifest", created: true)
    }
}

/// A service on temporary folders, run in a `ServiceGroup` as the CLI does.
struct ServiceHarness {
    let inbox: URL
    let out: URL
    let store: SQLiteJobStore
    let group: ServiceGroup
    let events: URL

    init(_ encoder: ScriptedEncoder, grace: TimeInterval = 10, maxAttempts: Int = 3, settle: TimeInterval = 0.2,
         retryDelay: TimeInterval = 0.1, clock: any WallClock = SystemWallClock()) throws {
        let root = try TestPaths.temporaryDirectory("service")
        inbox = root.appendingPathComponent("inbox")
        out = root.appendingPathComponent("out")
        events = root.appendingPathComponent("events.jsonl")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        store = try SQLiteJobStore(path: root.appendingPathComponent("state.sqlite").path, exclusive: true)
        let configuration = WatchConfiguration(inbox: inbox, out: out, jobs: 1, settle: settle, rescan: 0.2,
                                               grace: grace, maxAttempts: maxAttempts, retryDelay: retryDelay,
                                               maxRetryDelay: max(1, retryDelay))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = WatchFolderService(configuration: configuration, store: store, encoder: encoder,
                                         events: try JobEventLog(.file(events.path)), logger: logger, clock: clock)
        group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: logger))
    }

    func drop(_ name: String, bytes: Int = 1000) throws {
        let url = inbox.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ name.count) }).write(to: url)
    }

    func eventStates() throws -> [String] {
        let text = (try? String(contentsOf: events, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try JSONDecoder().decode(JobEvent.self, from: Data($0.utf8)).state }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
func eventually(timeout: TimeInterval = 60, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

@Suite struct ServiceTests {
    @Test func transientFailuresAreRetriedWithBackoffThenSucceed() async throws {
        let encoder = ScriptedEncoder { call, source in
            if call < 3 { throw PipelineError(source: source.path, stage: .publish, message: "No space left", isTransient: true) }
        }
        let harness = try ServiceHarness(encoder)
        try harness.drop("clip.mp4")
        async let run: Void = harness.group.run()
        let done = await eventually { (try? await harness.store.allJobs().first?.state) == .done }
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(done)
        let job = try #require(try await harness.store.allJobs().first)
        #expect(job.attempts == 3 && encoder.calls == 3 && job.playbackPath == "clip/v1/clip.ism/Manifest")
        #expect(FileManager.default.fileExists(atPath: harness.inbox.appendingPathComponent("done/clip.mp4").path))
        #expect(try harness.eventStates() == ["queued", "running", "queued", "running", "queued", "running", "done"])
    }

    @Test func transientFailuresStopAfterTheLastAttempt() async throws {
        let encoder = ScriptedEncoder { _, source in
            throw PipelineError(source: source.path, stage: .read, message: "Input/output error", isTransient: true)
        }
        let harness = try ServiceHarness(encoder, maxAttempts: 2)
        try harness.drop("sub/clip.mp4")
        async let run: Void = harness.group.run()
        let failed = await eventually { (try? await harness.store.allJobs().first?.state) == .failed }
        try await Task.sleep(for: .milliseconds(600))   // several rescans: it must not be taken again
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(failed && encoder.calls == 2)
        let report = harness.inbox.appendingPathComponent("failed/sub/clip.mp4.error.txt")
        #expect(FileManager.default.fileExists(atPath: harness.inbox.appendingPathComponent("failed/sub/clip.mp4").path))
        #expect(try String(contentsOf: report, encoding: .utf8).contains("Input/output error"))
        #expect(try await harness.store.allJobs().count == 1)
    }

    @Test func badMediaFailsAtOnce() async throws {
        let encoder = ScriptedEncoder { _, source in
            throw PipelineError(source: source.path, stage: .probe, message: "Invalid data found when processing input")
        }
        let harness = try ServiceHarness(encoder)
        try harness.drop("broken.mp4")
        async let run: Void = harness.group.run()
        let failed = await eventually { (try? await harness.store.allJobs().first?.state) == .failed }
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(failed && encoder.calls == 1)
        #expect(try harness.eventStates() == ["queued", "running", "failed"])
    }

    @Test func shutdownLetsARunningJobFinishWithinTheGrace() async throws {
        let encoder = ScriptedEncoder { _, _ in try await Task.sleep(for: .seconds(1)) }
        let harness = try ServiceHarness(encoder, grace: 10)
        try harness.drop("clip.mp4")
        async let run: Void = harness.group.run()
        #expect(await eventually { (try? await harness.store.allJobs().first?.state) == .running })
        try harness.drop("late.mp4")
        await harness.group.triggerGracefulShutdown()
        try await run
        let jobs = try await harness.store.allJobs()
        #expect(jobs.map(\.state) == [.done], "the running job finished; no new job was taken after the request")
    }

    @Test func shutdownCancelsAfterTheGraceAndLeavesTheJobQueued() async throws {
        let encoder = ScriptedEncoder { _, _ in try await Task.sleep(for: .seconds(60)) }
        let harness = try ServiceHarness(encoder, grace: 0.5)
        try harness.drop("clip.mp4")
        async let run: Void = harness.group.run()
        #expect(await eventually { (try? await harness.store.allJobs().first?.state) == .running })
        let start = Date()
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(Date().timeIntervalSince(start) < 30, "cancelled after the grace, long before the 60 s job would end")
        let job = try #require(try await harness.store.allJobs().first)
        #expect(job.state == .queued && job.attempts == 0, "a cancelled run does not count")
        #expect(FileManager.default.fileExists(atPath: harness.inbox.appendingPathComponent("clip.mp4").path))
    }

    @Test func aDoneFileRenamedAndDroppedAgainIsNotRedone() async throws {
        let encoder = ScriptedEncoder { _, _ in }
        let harness = try ServiceHarness(encoder)
        try harness.drop("clip.mp4")
        async let run: Void = harness.group.run()
        let doneFile = harness.inbox.appendingPathComponent("done/clip.mp4")
        #expect(await eventually { FileManager.default.fileExists(atPath: doneFile.path) })
        // mv keeps size and mtime: the same fingerprint, so the same (done) job.
        try FileManager.default.moveItem(at: doneFile, to: harness.inbox.appendingPathComponent("renamed.mp4"))
        let refiled = await eventually {
            FileManager.default.fileExists(atPath: harness.inbox.appendingPathComponent("done/renamed.mp4").path)
        }
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(refiled && encoder.calls == 1)
        #expect(try await harness.store.allJobs().count == 1)
    }
}
