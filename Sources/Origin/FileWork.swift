internal import NIOPosix

/// Runs the origin's blocking file work (`stat`, `realpath`, `open`, `pread`) on NIO's shared thread pool, so
/// that no request handler blocks an event loop or a thread of the Swift concurrency pool.
///
/// Why `NIOThreadPool` and not a thread per call: a request that misses the in-memory caches needs one short
/// piece of blocking work (a `stat` or a `pread` of a page-cached fragment). A fixed pool (one thread per core,
/// started once) takes that work without creating a thread per request, and bounds how many threads a flood
/// of requests can occupy; the caller suspends until its piece is done. Cancellation is not needed: each
/// piece is one system call or a handful, and a cancelled task is answered with the pool's error.
enum FileWork {
    /// Runs `body` on the thread pool and returns its result; a pool that is shut down answers
    /// ``OriginError/io(_:)`` (502, should it ever reach a response).
    static func run<T: Sendable>(
        _ body: @escaping @Sendable () throws(OriginError) -> T
    ) async throws(OriginError) -> T {
        let result: Result<T, OriginError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { () -> Result<T, OriginError> in
                do throws(OriginError) { return .success(try body()) } catch { return .failure(error) }
            }
        } catch {
            throw .io("file work did not run: \(error)")
        }
        return try result.get()
    }

    /// Runs `body` on the thread pool without waiting for it (no task, no continuation): `body` gets `true`,
    /// or `false` when the pool is shutting down and the work should be dropped.
    static func submit(_ body: @escaping @Sendable (_ active: Bool) -> Void) {
        NIOThreadPool.singleton.submit { state in
            if case .active = state { body(true) } else { body(false) }
        }
    }
}
