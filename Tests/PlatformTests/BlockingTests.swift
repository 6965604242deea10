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
