internal import Synchronization
#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// What a blocking body polls to learn that the awaiting task was cancelled (cooperative: the body decides
/// where it may stop, between units of work).
public struct CancellationCheck: Sendable {
    private let flag: CancellationFlag?

    init(_ flag: CancellationFlag) { self.flag = flag }
    private init() { flag = nil }

    /// A check that is never cancelled (for calling blocking code synchronously, and tests).
    public static let never = CancellationCheck()

    /// Whether the awaiting task was cancelled.
    public var isCancelled: Bool { flag?.isSet ?? false }

    /// Throws `CancellationError` once the awaiting task was cancelled.
    public func checkCancellation() throws(CancellationError) {
        if isCancelled { throw CancellationError() }
    }
}

/// A flag set once, from any thread. Its owner sets it; ``CancellationCheck`` reads it.
public final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    /// A flag not yet set.
    public init() {}
    /// Whether ``set()`` was called.
    public var isSet: Bool { value.load(ordering: .acquiring) }
    /// Sets the flag (idempotent).
    public func set() { value.store(true, ordering: .releasing) }
    /// A check that reads this flag.
    public var check: CancellationCheck { CancellationCheck(self) }
}

/// Runs blocking work (FFmpeg calls, file I/O, waiting on a descriptor) on a thread of its own, so it never
/// occupies a thread of Swift's cooperative pool.
public enum Blocking {
    /// Default stack size of the threads (8 MiB: FFmpeg's decoders and encoders want more than the 512 KiB
    /// that secondary threads get on some systems).
    public static let defaultStackSize = 8 << 20

    /// Runs `body` on a new dedicated thread (`name` identifies it in errors) and returns (or throws) what it returns (or throws).
    /// When the awaiting task is cancelled, the ``CancellationCheck`` handed to `body` turns `isCancelled`;
    /// `body` is expected to stop between units of work (typically by `checkCancellation()`), and `run` waits
    /// for it either way, so nothing `body` touches outlives the call.
    public static func run<T: Sendable>(
        _ name: String, stackSize: Int = defaultStackSize,
        _ body: @escaping @Sendable (CancellationCheck) throws -> T
    ) async throws -> T {
        let flag = CancellationFlag()
        // The thread takes `body` out of the slot, so `body` and what it captured are released on that thread
        // before the result is handed back, not after (when the thread's closure is destroyed, which races with
        // the caller going on, and at the end of a program with its exit).
        let slot = TakeOnce(body)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let check = flag.check
                do {
                    try startThread(name: name, stackSize: stackSize) {
                        continuation.resume(with: Self.runTaking(slot, check))
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            flag.set()
        }
    }

    /// Runs the body in `slot` once; the body is released when this returns.
    private static func runTaking<T>(_ slot: TakeOnce<@Sendable (CancellationCheck) throws -> T>,
                                     _ check: CancellationCheck) -> Result<T, any Error> {
        guard let body = slot.take() else { return .failure(CancellationError()) }
        return Result { try body(check) }
    }

    /// Starts a detached thread running `work` (C: `pthread_create` with a stack size).
    public static func startThread(name: String, stackSize: Int = defaultStackSize,
                                   _ work: @escaping @Sendable () -> Void) throws(PlatformError) {
        let context = Unmanaged.passRetained(ThreadContext(work: work)).toOpaque()
        // Allocated rather than `pthread_attr_t()`: the C type's zero initializer is not importable here.
        let attr = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
        defer { attr.deallocate() }
        pthread_attr_init(attr)
        defer { pthread_attr_destroy(attr) }
        pthread_attr_setstacksize(attr, max(stackSize, 1 << 16))
        pthread_attr_setdetachstate(attr, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Darwin)
            var thread: pthread_t?
        #else
            var thread = pthread_t()
        #endif
        let rc = pthread_create(&thread, attr, threadEntry, context)
        guard rc == 0 else {
            Unmanaged<ThreadContext>.fromOpaque(context).release()
            throw PlatformError.system("pthread_create", name, code: rc)
        }
    }
}

private final class ThreadContext {
    let work: @Sendable () -> Void
    init(work: @escaping @Sendable () -> Void) { self.work = work }
}

#if canImport(Darwin)
    private func threadEntry(_ raw: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        let context = Unmanaged<ThreadContext>.fromOpaque(raw).takeRetainedValue()
        context.work()
        return nil
    }
#else
    private func threadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
        guard let raw else { return nil }
        let context = Unmanaged<ThreadContext>.fromOpaque(raw).takeRetainedValue()
        context.work()
        return nil
    }
#endif

/// A value for exactly one taker. A thread that takes its work out of one holds the only reference to it, so
/// the work (and everything it captured) is released where that thread lets go of it: before the thread reports
/// that it is done, not later, when the thread's closure is destroyed.
public final class TakeOnce<Value: Sendable>: Sendable {
    private let value: Mutex<Value?>

    /// Holds `value` until ``take()``.
    public init(_ value: Value) { self.value = Mutex(value) }

    /// The value, the first time; nil after that.
    public func take() -> Value? { value.withLock { v in v.take() } }
}
