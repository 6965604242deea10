public import Foundation

/// What ``JobStore/enqueue(source:fingerprint:at:)`` found.
public enum EnqueueOutcome: Sendable, Equatable {
    /// A new job, queued.
    case created(Job)
    /// A job with this fingerprint already exists (in any state); `source` was updated when the job was
    /// still queued and its old path no longer holds the file.
    case existing(Job)

    /// The job either way.
    public var job: Job {
        switch self {
        case .created(let job), .existing(let job): job
        }
    }
}

/// Durable job state: the daemon's memory across restarts and crashes.
///
/// Every method is one atomic transition: after a crash the store shows either the state before or the
/// state after it, never a mix. One fingerprint has at most one job, which is what makes the daemon
/// process each file exactly once. Transitions are checked (a job can only be completed while `running`);
/// a transition from the wrong state throws ``JobStoreError/wrongState(id:expected:actual:)``.
///
/// ``SQLiteJobStore`` is the implementation for one machine. A shared PostgreSQL store for several
/// machines fits the same shape: `claimNext` becomes `SELECT … FOR UPDATE SKIP LOCKED`, and
/// `requeueInterrupted` must only take jobs whose owner's lease expired rather than all `running` jobs.
public protocol JobStore: Sendable {
    /// Queues a job for a stable file, or returns the one that already has this fingerprint.
    func enqueue(source: String, fingerprint: Fingerprint, at now: Date) async throws -> EnqueueOutcome

    /// Claims the oldest queued job whose `notBefore` has passed: `queued → running`, `attempts += 1`.
    func claimNext(at now: Date) async throws -> Job?

    /// `running → done`, recording where the presentation went.
    func complete(id: Int64, outputPrefix: String, playbackPath: String, at now: Date) async throws -> Job

    /// `running → failed` for good.
    func fail(id: Int64, error: String, at now: Date) async throws -> Job

    /// `running → queued`: a retry after `notBefore` (the attempt counts), or, with `refundAttempt`, a run
    /// that was cut short by shutdown and should not count.
    func requeue(id: Int64, error: String?, notBefore: Date?, refundAttempt: Bool, at now: Date) async throws -> Job

    /// Removes a job that is not final (queued, or running and just claimed) whose source vanished or changed
    /// before it was encoded, so that the file, when it comes back, is queued afresh.
    func discard(id: Int64) async throws

    /// At start: every `running` job (its process died) goes back to `queued`. Returns those jobs.
    func requeueInterrupted(at now: Date) async throws -> [Job]

    /// The job with this id.
    func job(id: Int64) async throws -> Job?

    /// The job with this fingerprint.
    func job(fingerprint: Fingerprint) async throws -> Job?

    /// Every job, oldest first.
    func allJobs() async throws -> [Job]
}

/// A store transition that does not apply.
public enum JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchJob(id: Int64)
    case wrongState(id: Int64, expected: JobState, actual: JobState)
    /// Another daemon holds the state database.
    case locked(path: String)

    public var description: String {
        switch self {
        case .noSuchJob(let id): "job \(id) does not exist"
        case .wrongState(let id, let expected, let actual): "job \(id) is \(actual.rawValue), not \(expected.rawValue)"
        case .locked(let path): "\(path) is in use by another smoothpack watch"
        }
    }
}
