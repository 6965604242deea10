import Platform
import Synchronization
import Testing

private struct Boom: Error, Equatable { var n: Int }

@Suite struct BlockingTests {
    @Test func returnsTheBodysValue() async throws {
        let value = try await Blocking.run("test-return") { check in
            try check.checkCancellation()
            return (1...100).reduce(0, +)
        }
        #expect(value == 5050)
    }

    @Test func rethrowsTheBodysError() async {
        await #expect(throws: Boom(n: 7)) {
            try await Blocking.run("test-throw") { _ -> Int in throw Boom(n: 7) }
        }
    }

    @Test func cancellationReachesTheBody() async throws {
        let started = Atomic<Bool>(false)
        let task = Task {
            try await Blocking.run("test-cancel") { check -> Int in
                started.store(true, ordering: .releasing)
                // Units of work until cancelled; bounded so a broken flag fails the test instead of hanging it.
                for unit in 0..<600_000 {
                    try check.checkCancellation()
                    usleepMicro(100)
                    _ = unit
                }
                return -1
            }
        }
        while !started.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func alreadyCancelledTaskSeesTheFlagAtOnce() async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await Blocking.run("test-precancel") { check in check.isCancelled }
        }
        #expect((try? await task.value) == true)
    }

    /// The contract: what the body captured is gone when `run` returns, even when its deinit takes a while (as
    /// freeing an encoder does). It fails when the thread keeps the body past the hand-back and releases it
    /// last. The race the fix removed (the thread let go of the body just after handing the result back, while
    /// the caller was resuming) is usually won by the thread, so this test does not force it.
    @Test func theBodysCapturesAreReleasedBeforeRunReturns() async throws {
        let released = ReleaseFlag()
        let n = try await Blocking.run("test-release") { [held = SlowToFree(released)] _ in held.value }
        #expect(n == 42)
        let gone = released.isSet.load(ordering: .acquiring)
        #expect(gone, "the capture was still alive when run returned")
    }

    @Test func takeOnceGivesItsValueOnce() {
        let slot = TakeOnce([1, 2, 3])
        #expect(slot.take() == [1, 2, 3])
        #expect(slot.take() == nil)
    }

    @Test func neverCheckIsNeverCancelled() throws {
        #expect(!CancellationCheck.never.isCancelled)
        try CancellationCheck.never.checkCancellation()
        let flag = CancellationFlag()
        #expect(!flag.check.isCancelled)
        flag.set()
        #expect(flag.check.isCancelled)
        #expect(throws: CancellationError.self) { try flag.check.checkCancellation() }
    }
}

private final class ReleaseFlag: Sendable {
    let isSet = Atomic<Bool>(false)
}

/// Sets its flag from `deinit`, after a pause (long enough that a release racing with the caller loses).
private final class SlowToFree: Sendable {
    let value = 42
    private let released: ReleaseFlag
    init(_ released: ReleaseFlag) { self.released = released }
    deinit {
        usleepMicro(100_000)
        released.isSet.store(true, ordering: .releasing)
    }
}
