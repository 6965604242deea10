internal import Foundation

/// One line of a worker's JSON log. Never holds a credential or the queue's password.
public struct WorkerEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Worker started (schema checked) / stopped.
        case started, stopped
        /// A job was claimed (`token`, `attempt`).
        case claimed
        /// A job entered a phase (fetching, encoding, publishing…); progress is in the queue, not logged per frame.
        case phase
        /// Publishing passed the fence (`phase` says which step: start, ismc, ism).
        case fenced
        /// A job finished: done (with `result`), retry (queued again), failed (attempts used up).
        case done, retry, failed
        /// The lease was lost (expired and reclaimed, or cancelled): the job stopped, nothing more published.
        case leaseLost = "lease-lost"
        /// A long source was split (`count` part jobs); the job waits for them as a join.
        case split
        /// Handed back at shutdown without counting the attempt.
        case released
        /// Jobs with expired leases returned to the queue (`count`).
        case reaped
        /// The database could not be reached; retrying (`error`).
        case databaseRetry = "database-retry"
        /// LISTEN connection (re)established.
        case listening
    }

    public var time: String
    public var worker: String
    public var event: Kind
    public var job: Int64?
    public var token: Int64?
    public var attempt: Int?
    public var source: String?
    /// What the job is when it is not a whole encode: `chunk <n>`, `audio` or `join`.
    public var part: String?
    public var phase: String?
    public var result: String?
    public var error: String?
    public var count: Int?
    /// Seconds the step took (claimed→done, fetch, encode, publish).
    public var seconds: Double?

    public init(worker: String, event: Kind, job: ClaimedJob? = nil, phase: String? = nil, result: String? = nil,
                error: String? = nil, count: Int? = nil, seconds: Double? = nil) {
        self.time = WorkerEvent.timestamp(Date())
        self.worker = worker
        self.event = event
        self.job = job?.id
        self.token = job?.token
        self.attempt = job?.attempt
        self.source = job?.source
        self.part = job.flatMap { j in
            switch j.kind {
            case .encode: return nil
            case .chunk: return "chunk \(j.part ?? -1)"
            case .audio, .join: return j.kind.rawValue
            }
        }
        self.phase = phase
        self.result = result
        self.error = error
        self.count = count
        self.seconds = seconds.map { ($0 * 1000).rounded() / 1000 }
    }

    /// The event as one line of JSON (keys sorted).
    public var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
