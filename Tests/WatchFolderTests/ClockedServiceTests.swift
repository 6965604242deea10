import Foundation
import Synchronization
import ServiceLifecycle
import SmoothPack
import Testing
@testable import WatchFolder

/// A clock that moves only when the test says so.
final class ManualClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_000_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// The daemon's time rules (settle, retry backoff) with a manual clock: however slow the machine, a file is
/// not taken and a job is not retried until the clock says the time has passed, and then they are.
@Suite struct ClockedServiceTests {
    @Test func aFileIsTakenOnlyOnceTheClockHasPassedTheSettleTime() async throws {
        let clock = ManualClock()
        let encoder = ScriptedEncoder { _, _ in }
        let harness = try ServiceHarness(encoder, settle: 3600, clock: clock)
        try harness.drop("clip.mp4")
        async let run: Void = harness.group.run()

        // Real time passes (many ticks and rescans), the manual clock does not: the file is never stable.
        // The service sees the file at the clock's start or later (on a loaded machine, perhaps only after
        // the advance below), so it cannot be stable before start + 3600 s whenever that was.
        try await Task.sleep(for: .seconds(1))
        clock.advance(by: 3599)
        try await Task.sleep(for: .seconds(1))
        let early = try await harness.store.allJobs()
        #expect(early.isEmpty, "taken before the settle time had passed on the clock: \(early)")

        // Then the clock runs on (a minute per poll) until the settle time has passed since it was first seen.
        let taken = await eventually {
            clock.advance(by: 60)
            return (try? await harness.store.allJobs().first?.state) == .done
        }
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(taken && encoder.calls == 1)
    }

    @Test func aTransientFailureIsRetriedOnlyAfterTheBackoff() async throws {
        let clock = ManualClock()
        let encoder = ScriptedEncoder { call, source in
            if call == 1 { throw PipelineError(source: source.path, stage: .publish, message: "No space left", isTransient: true) }
        }
        let harness = try ServiceHarness(encoder, settle: 0, retryDelay: 600, clock: clock)
        try harness.drop("clip.mp4")
        async let run: Void = harness.group.run()

        let requeued = await eventually { (try? await harness.store.allJobs().first?.state) == .queued && encoder.calls == 1 }
        #expect(requeued)
        let job = try #require(try await harness.store.allJobs().first)
        #expect(job.notBefore == clock.now.addingTimeInterval(600), "backoff counted from the failure's time")

        try await Task.sleep(for: .seconds(1))   // ticks go by; the clock has not reached notBefore
        clock.advance(by: 599)
        try await Task.sleep(for: .seconds(1))
        #expect(encoder.calls == 1, "retried before the backoff had passed on the clock")

        clock.advance(by: 1)
        let done = await eventually { (try? await harness.store.allJobs().first?.state) == .done }
        await harness.group.triggerGracefulShutdown()
        try await run
        #expect(done && encoder.calls == 2)
        #expect(try harness.eventStates() == ["queued", "running", "queued", "running", "done"])
    }
}
