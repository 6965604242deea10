internal import Foundation
public import Logging
internal import PostgresNIO

/// A job's state.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, running, done, failed, cancelled
    /// A split encode's join, waiting for its parts.
    case waiting
}

/// What a job does. A source is queued as an `encode`; a worker that splits it (docs/chunks.md) turns it into a
/// `join` that waits for its `chunk` jobs (the video ladder of one time range each) and its `audio` job.
public enum JobKind: String, Sendable, Codable, CaseIterable {
    case encode, chunk, audio, join
}

/// What to enqueue.
public struct JobRequest: Sendable, Equatable {
    /// `s3://bucket/key` or an absolute file path every worker can read (shared storage).
    public var source: String
    /// Identity of the source's bytes (`s3:<etag>:<size>` or `sha256:<hex>`).
    public var fingerprint: String
    public var sourceSize: Int64
    /// Profile name or path, as workers will resolve it.
    public var profile: String
    /// `s3://bucket[/prefix]` to publish to.
    public var destination: String
    public var priority: Int
    public var maxAttempts: Int
    /// Split sources longer than about twice this into chunks of this many seconds (0: never); nil: the
    /// profile's `chunk_seconds`. Part of the job's identity.
    public var chunkSeconds: Double?

    public init(source: String, fingerprint: String, sourceSize: Int64, profile: String, destination: String,
                priority: Int = 0, maxAttempts: Int = 3, chunkSeconds: Double? = nil) {
        self.chunkSeconds = chunkSeconds
        self.source = source
        self.fingerprint = fingerprint
        self.sourceSize = sourceSize
        self.profile = profile
        self.destination = destination
        self.priority = priority
        self.maxAttempts = maxAttempts
    }
}

/// A claimed job: what a worker needs, and the fencing token that proves it still holds the lease.
public struct ClaimedJob: Sendable, Equatable {
    public var id: Int64
    public var token: Int64
    public var source: String
    public var fingerprint: String
    public var sourceSize: Int64
    public var profile: String
    public var destination: String
    public var attempt: Int
    public var maxAttempts: Int
    public var kind: JobKind = .encode
    /// The join a part belongs to.
    public var parentID: Int64? = nil
    /// The chunk number of a `chunk` job.
    public var part: Int? = nil
    public var chunkSeconds: Double? = nil
    /// The split plan (JSON) of a part or a join.
    public var split: String? = nil
}

/// One row of `queue status`.
public struct JobSummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var state: JobState
    public var source: String
    public var profile: String
    public var destination: String
    public var priority: Int
    public var attempts: Int
    public var maxAttempts: Int
    public var worker: String?
    public var phase: String?
    public var progress: Double
    /// Seconds since the current (or last) run started.
    public var runningSeconds: Double?
    /// Seconds since the job was added.
    public var ageSeconds: Double
    public var error: String?
    public var result: String?
    public var kind: JobKind = .encode
    /// The join a part belongs to.
    public var parentID: Int64? = nil
    /// The chunk number of a `chunk` job.
    public var part: Int? = nil
    /// A waiting join: parts not done yet.
    public var pendingParts: Int = 0
}

/// Counts by state plus the jobs worth showing (running, and recent failures).
public struct QueueStatus: Sendable, Codable, Equatable {
    public var schemaVersion: Int
    public var counts: [String: Int]
    public var running: [JobSummary]
    public var failed: [JobSummary]
    /// Split encodes waiting for their parts.
    public var waiting: [JobSummary] = []
}

/// The outcome of an add.
public struct AddResult: Sendable, Codable, Equatable {
    public var id: Int64
    /// False when the same source, profile and destination were already queued (any state).
    public var created: Bool
    public var state: JobState
}

extension Array where Element == Int64 {
    /// NOTIFY when something changed.
    fileprivate func notifying(_ queue: JobQueue, _ payload: String) async throws -> [Int64] {
        if !isEmpty { try await queue.wrap { try await queue.notify(payload) } }
        return self
    }
}

/// The PostgreSQL job queue: every statement the CLI and workers run against it.
///
/// Every state change of a running job names its fencing token (`token`, incremented at each claim): a worker
/// whose lease expired and whose job was claimed again changes nothing, and learns so from the row count.
public final class JobQueue: Sendable {
    /// Channel that `add`, `retry` and the reaper NOTIFY, and idle workers LISTEN on.
    public static let channel = "smoothpack_jobs"

    let db: Database
    public let url: QueueURL

    public init(url: QueueURL, logger: Logger = Logger(label: "smoothpack.queue", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.url = url
        self.db = Database(url: url, logger: logger)
    }

    public func close() async { await db.close() }

    /// Creates or upgrades the schema (idempotent).
    @discardableResult
    public func initialise() async throws -> (from: Int, to: Int) {
        try await wrap { try await Schema.migrate(db) }
    }

    /// Throws unless the schema is the one this build knows.
    public func checkSchema() async throws {
        try await wrap { try await Schema.check(db) }
    }

    // MARK: producers

    /// Enqueues a job, or returns the existing one with the same fingerprint, profile and destination.
    public func add(_ r: JobRequest) async throws -> AddResult {
        try await wrap {
            let rows = try await db.rows("""
                WITH inserted AS (
                    INSERT INTO smoothpack_jobs (source, fingerprint, source_size, profile, destination, priority, max_attempts,
                                                 chunk_seconds)
                    VALUES (\(r.source), \(r.fingerprint), \(r.sourceSize), \(r.profile), \(r.destination), \(r.priority),
                            \(r.maxAttempts), \(r.chunkSeconds)::float8)
                    ON CONFLICT (fingerprint, profile, destination, (coalesce(chunk_seconds, -1))) WHERE parent_id IS NULL
                    DO NOTHING
                    RETURNING id, state
                ), notified AS (
                    SELECT pg_notify(\(Self.channel), 'added') FROM inserted
                )
                SELECT id, state, true FROM inserted, notified
                UNION ALL
                SELECT id, state, false FROM smoothpack_jobs
                WHERE fingerprint = \(r.fingerprint) AND profile = \(r.profile) AND destination = \(r.destination)
                  AND coalesce(chunk_seconds, -1) = coalesce(\(r.chunkSeconds)::float8, -1) AND parent_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM inserted)
                """)
            // A concurrent add of the same job that had not committed when this statement's snapshot was taken:
            // ON CONFLICT waited for it, but the SELECT cannot see it. Asking again sees it.
            guard let row = rows.first else { return try await add(r) }
            let (id, state, created) = try row.decode((Int64, String, Bool).self)
            return AddResult(id: id, created: created, state: JobState(rawValue: state) ?? .queued)
        }
    }

    /// Queues failed or cancelled jobs again with a fresh attempt count. Returns the ids it changed. A split
    /// encode starts again from its source (its parts are removed; the new ones encode the same bytes).
    public func retry(_ ids: [Int64]) async throws -> [Int64] {
        try await wrap {
            try await db.rows("""
                WITH changed AS (
                    UPDATE smoothpack_jobs SET state = 'queued', attempts = 0, error = NULL, not_before = now(),
                           worker = NULL, lease_until = NULL, phase = NULL, progress = 0, finished_at = NULL,
                           kind = 'encode', split = NULL, pending_parts = 0
                    WHERE id = ANY(\(ids)) AND state IN ('failed', 'cancelled') AND parent_id IS NULL
                    RETURNING id
                ), removed AS (
                    DELETE FROM smoothpack_jobs WHERE parent_id IN (SELECT id FROM changed)
                )
                SELECT id FROM changed
                """).map { try $0.decode(Int64.self) }
        }.notifying(self, "retry")
    }

    /// Cancels queued, running or waiting jobs (a running one stops at its next heartbeat and publishes nothing
    /// more); a split encode's parts are cancelled with it, and cancelling one part cancels its whole split
    /// (its join could never complete without it).
    public func cancel(_ ids: [Int64]) async throws -> [Int64] {
        try await wrap {
            try await db.rows("""
                WITH splits AS (
                    SELECT id FROM smoothpack_jobs WHERE id = ANY(\(ids))
                    UNION SELECT parent_id FROM smoothpack_jobs WHERE id = ANY(\(ids)) AND parent_id IS NOT NULL
                )
                UPDATE smoothpack_jobs SET state = 'cancelled', lease_until = NULL, finished_at = now()
                WHERE (id IN (SELECT id FROM splits) OR parent_id IN (SELECT id FROM splits))
                  AND state IN ('queued', 'running', 'waiting')
                RETURNING id
                """).map { try $0.decode(Int64.self) }.filter { ids.contains($0) }
        }
    }

    /// Counts by state, the running jobs and the last failures.
    public func status(failedLimit: Int = 20) async throws -> QueueStatus {
        try await wrap {
            try await Schema.check(db)
            var counts: [String: Int] = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, 0) })
            for row in try await db.rows("SELECT state, count(*)::bigint FROM smoothpack_jobs GROUP BY state") {
                let (state, n) = try row.decode((String, Int64).self)
                counts[state] = Int(n)
            }
            let columns = """
                SELECT id, state, source, profile, destination, priority, attempts, max_attempts, worker, phase,
                       progress::float8, EXTRACT(EPOCH FROM (coalesce(finished_at, now()) - started_at))::float8,
                       EXTRACT(EPOCH FROM (now() - created_at))::float8, error, result, kind, parent_id, part, pending_parts
                FROM smoothpack_jobs
                """
            let running = try await db.rows(PostgresQuery(unsafeSQL: columns + " WHERE state = 'running' ORDER BY started_at, id"))
                .map(Self.summary)
            let failed = try await db.rows(PostgresQuery(unsafeSQL: columns
                + " WHERE state = 'failed' ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT \(max(0, failedLimit))"))
                .map(Self.summary)
            let waiting = try await db.rows(PostgresQuery(unsafeSQL: columns + " WHERE state = 'waiting' ORDER BY id"))
                .map(Self.summary)
            return QueueStatus(schemaVersion: Schema.current, counts: counts, running: running, failed: failed,
                               waiting: waiting)
        }
    }

    /// One job by id, or nil.
    public func job(_ id: Int64) async throws -> JobSummary? {
        try await wrap {
            try await db.rows("""
                SELECT id, state, source, profile, destination, priority, attempts, max_attempts, worker, phase,
                       progress::float8, EXTRACT(EPOCH FROM (coalesce(finished_at, now()) - started_at))::float8,
                       EXTRACT(EPOCH FROM (now() - created_at))::float8, error, result, kind, parent_id, part, pending_parts
                FROM smoothpack_jobs WHERE id = \(id)
                """).first.map(Self.summary)
        }
    }

    /// The fingerprint a job was queued with (tests: was the file complete when it was queued?).
    func fingerprint(of id: Int64) async throws -> String? {
        try await wrap {
            try await db.rows("SELECT fingerprint FROM smoothpack_jobs WHERE id = \(id)").first?.decode(String.self)
        }
    }

    /// Every job, oldest first (for scripts and tests).
    public func jobs() async throws -> [JobSummary] {
        try await wrap {
            try await db.rows("""
                SELECT id, state, source, profile, destination, priority, attempts, max_attempts, worker, phase,
                       progress::float8, EXTRACT(EPOCH FROM (coalesce(finished_at, now()) - started_at))::float8,
                       EXTRACT(EPOCH FROM (now() - created_at))::float8, error, result, kind, parent_id, part, pending_parts
                FROM smoothpack_jobs ORDER BY id
                """).map(Self.summary)
        }
    }

    static func summary(_ row: PostgresRow) throws -> JobSummary {
        let (id, state, source, profile, destination, priority, attempts, maxAttempts, worker, phase, progress, running,
             age, error, result) = try row.decode((Int64, String, String, String, String, Int, Int, Int, String?, String?,
                                                   Double, Double?, Double, String?, String?).self)
        let cells = Array(row)
        let kind = try cells[15].decode(String.self)
        let parent = try cells[16].decode(Int64?.self)
        let part = try cells[17].decode(Int?.self)
        let pending = try cells[18].decode(Int.self)
        return JobSummary(id: id, state: JobState(rawValue: state) ?? .queued, source: source, profile: profile,
                          destination: destination, priority: priority, attempts: attempts, maxAttempts: maxAttempts,
                          worker: worker, phase: phase, progress: progress, runningSeconds: running, ageSeconds: age,
                          error: error, result: result, kind: JobKind(rawValue: kind) ?? .encode, parentID: parent,
                          part: part, pendingParts: pending)
    }

    // MARK: workers

    /// Claims the best queued job (highest priority, oldest first) for `worker`, with a lease of `lease`.
    /// `FOR UPDATE SKIP LOCKED`: concurrent claimers never wait on each other or take the same row.
    ///
    /// With `scratch`, only a job whose scratch need (``ScratchNeed/forSource(_:)``) fits in its `free` bytes is
    /// claimed, or one that could never fit in its `limit` (claimed to be failed with that reason); joins, whose
    /// need is known only from their parts' results, are not filtered. A worker busy with a large job thus
    /// leaves the next one to a host with room instead of holding it while it waits for its own space.
    func claim(worker: String, lease: Duration, scratch: (free: Int64, limit: Int64)? = nil) async throws -> ClaimedJob? {
        let seconds = Self.seconds(lease)
        let free = scratch?.free ?? Int64.max, limit = scratch?.limit ?? Int64.max
        let rows = try await db.rows("""
            UPDATE smoothpack_jobs j
            SET state = 'running', worker = \(worker), token = j.token + 1, attempts = j.attempts + 1,
                lease_until = now() + make_interval(secs => \(seconds)), started_at = now(), finished_at = NULL,
                phase = 'claimed', progress = 0
            FROM (SELECT id FROM smoothpack_jobs
                  WHERE state = 'queued' AND not_before <= now()
                    AND (kind = 'join'
                         OR greatest(source_size, 0)::numeric * \(ScratchNeed.sourceFactor) + \(ScratchNeed.margin) <= \(free)
                         OR greatest(source_size, 0)::numeric * \(ScratchNeed.sourceFactor) + \(ScratchNeed.margin) > \(limit))
                  ORDER BY priority DESC, created_at, id
                  FOR UPDATE SKIP LOCKED LIMIT 1) next
            WHERE j.id = next.id
            RETURNING j.id, j.token, j.source, j.fingerprint, j.source_size, j.profile, j.destination, j.attempts, j.max_attempts,
                      j.kind, j.parent_id, j.part, j.chunk_seconds,
                      coalesce(j.split, (SELECT p.split FROM smoothpack_jobs p WHERE p.id = j.parent_id))
            """)
        guard let row = rows.first else { return nil }
        let (id, token, source, fingerprint, size, profile, destination, attempt, maxAttempts) =
            try row.decode((Int64, Int64, String, String, Int64, String, String, Int, Int).self)
        let cells = Array(row)
        var job = ClaimedJob(id: id, token: token, source: source, fingerprint: fingerprint, sourceSize: size,
                             profile: profile, destination: destination, attempt: attempt, maxAttempts: maxAttempts)
        job.kind = JobKind(rawValue: try cells[9].decode(String.self)) ?? .encode
        job.parentID = try cells[10].decode(Int64?.self)
        job.part = try cells[11].decode(Int?.self)
        job.chunkSeconds = try cells[12].decode(Double?.self)
        job.split = try cells[13].decode(String?.self)
        return job
    }

    // MARK: split encodes

    /// Turns a claimed `encode` into a `join` waiting for `parts` new jobs (one per chunk, then the audio),
    /// in one statement: all of it happens, or (lease lost) none. The parts inherit the job's priority and age,
    /// so a split title goes before later ones.
    func split(_ job: ClaimedJob, plan: String, chunks: Int, audio: Bool) async throws -> Bool {
        let kinds = Array(repeating: JobKind.chunk.rawValue, count: chunks) + (audio ? [JobKind.audio.rawValue] : [])
        let parts = Array(0..<chunks) + (audio ? [0] : [])
        let rows = try await db.rows("""
            WITH parent AS (
                UPDATE smoothpack_jobs SET state = 'waiting', kind = 'join', split = \(plan), pending_parts = \(kinds.count),
                       worker = NULL, lease_until = NULL, phase = 'waiting for parts', progress = 0, attempts = 0,
                       not_before = now()
                WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
                RETURNING id, source, fingerprint, source_size, profile, destination, priority, max_attempts, chunk_seconds,
                          created_at
            ), children AS (
                INSERT INTO smoothpack_jobs (source, fingerprint, source_size, profile, destination, priority, max_attempts,
                                             chunk_seconds, created_at, kind, parent_id, part)
                SELECT p.source, p.fingerprint, p.source_size, p.profile, p.destination, p.priority, p.max_attempts,
                       p.chunk_seconds, p.created_at, u.kind, p.id, u.part
                FROM parent p, unnest(\(kinds)::text[], \(parts)::int[]) AS u(kind, part)
                RETURNING id
            ), notified AS (
                SELECT pg_notify(\(Self.channel), 'split') FROM parent
            )
            SELECT (SELECT count(*) FROM parent)::bigint, (SELECT count(*) FROM children)::bigint,
                   (SELECT count(*) FROM notified)::bigint
            """)
        guard let row = rows.first else { return false }
        let (parents, _, _) = try row.decode((Int64, Int64, Int64).self)
        return parents == 1
    }

    /// Marks a part done with its result and counts it off its join, which is queued when it was the last.
    /// False when the lease was lost meanwhile (the part's new holder will count it).
    func completePart(_ job: ClaimedJob, result: String) async throws -> Bool {
        let rows = try await db.rows("""
            WITH child AS (
                UPDATE smoothpack_jobs SET state = 'done', result = \(result), error = NULL, lease_until = NULL,
                       phase = 'done', progress = 1, finished_at = now()
                WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
                RETURNING parent_id
            ), parent AS (
                UPDATE smoothpack_jobs p SET pending_parts = p.pending_parts - 1,
                       state = CASE WHEN p.pending_parts <= 1 THEN 'queued' ELSE p.state END,
                       phase = CASE WHEN p.pending_parts <= 1 THEN NULL
                                    ELSE 'waiting for ' || (p.pending_parts - 1) || ' parts' END,
                       not_before = now()
                FROM child WHERE p.id = child.parent_id AND p.state = 'waiting'
                RETURNING p.state
            ), notified AS (
                SELECT pg_notify(\(Self.channel), 'parts done') FROM parent WHERE state = 'queued'
            )
            SELECT (SELECT count(*) FROM child)::bigint, (SELECT count(*) FROM notified)::bigint
            """)
        guard let row = rows.first else { return false }
        let (children, _) = try row.decode((Int64, Int64).self)
        return children == 1
    }

    /// The results of a join's parts that are done: (kind, part, result).
    func partResults(of parent: Int64) async throws -> [(kind: JobKind, part: Int, result: String)] {
        try await db.rows("""
            SELECT kind, part, result FROM smoothpack_jobs
            WHERE parent_id = \(parent) AND state = 'done' AND result IS NOT NULL ORDER BY kind, part
            """).map { row in
            let (kind, part, result) = try row.decode((String, Int, String).self)
            return (JobKind(rawValue: kind) ?? .chunk, part, result)
        }
    }

    /// A join whose part failed for good fails with that part's reason; its other queued parts are cancelled.
    func failJoinsOfFailedParts() async throws {
        _ = try await db.rows("""
            WITH failed AS (
                UPDATE smoothpack_jobs p SET state = 'failed', finished_at = now(), phase = NULL,
                       error = c.kind || coalesce(' ' || c.part, '') || ': ' || coalesce(c.error, 'failed')
                FROM smoothpack_jobs c
                WHERE c.parent_id = p.id AND c.state = 'failed' AND p.state = 'waiting'
                RETURNING p.id
            )
            UPDATE smoothpack_jobs SET state = 'cancelled', finished_at = now()
            WHERE parent_id IN (SELECT id FROM failed) AND state = 'queued'
            """)
    }

    /// Renews the lease and records progress. False when the lease is lost (expired and reclaimed, cancelled,
    /// or already finished by someone else): the caller stops the job and publishes nothing more.
    func heartbeat(_ job: ClaimedJob, lease: Duration, phase: String, progress: Double) async throws -> Bool {
        let rows = try await db.rows("""
            UPDATE smoothpack_jobs SET lease_until = now() + make_interval(secs => \(Self.seconds(lease))),
                   phase = \(phase), progress = \(Float(progress))
            WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
            RETURNING id
            """)
        return !rows.isEmpty
    }

    /// The fence: true only while the job is still this claim's (same fencing token, still running); renews the
    /// lease. Checked before publishing starts and before each manifest is written. A lease that ran out while
    /// the database was unreachable still passes if no reaper has taken the job back (taking it back changes the
    /// token): nobody else can hold it then, and failing here threw away finished work and cost an attempt.
    func fence(_ job: ClaimedJob, lease: Duration, phase: String) async throws -> Bool {
        let rows = try await db.rows("""
            UPDATE smoothpack_jobs SET lease_until = now() + make_interval(secs => \(Self.seconds(lease))), phase = \(phase)
            WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
            RETURNING id
            """)
        return !rows.isEmpty
    }

    /// Marks the job done with its result. False when the lease was lost meanwhile.
    func complete(_ job: ClaimedJob, result: String) async throws -> Bool {
        let rows = try await db.rows("""
            UPDATE smoothpack_jobs SET state = 'done', result = \(result), error = NULL, lease_until = NULL,
                   phase = 'done', progress = 1, finished_at = now()
            WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
            RETURNING id
            """)
        return !rows.isEmpty
    }

    /// Records a failed attempt: queued again after `retryDelay` x 2^(attempt-1) (capped at an hour), or
    /// `failed` with `reason` once the attempts are used up. Returns the new state (nil: lease lost).
    func fail(_ job: ClaimedJob, reason: String, retryDelay: Duration) async throws -> JobState? {
        let base = Self.seconds(retryDelay)
        let rows = try await db.rows("""
            UPDATE smoothpack_jobs SET
                state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                not_before = now() + make_interval(secs => least(3600, \(base) * power(2, greatest(attempts - 1, 0)))),
                error = \(reason), worker = NULL, lease_until = NULL, phase = NULL,
                finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END
            WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
            RETURNING state
            """)
        let state = try rows.first.map { JobState(rawValue: try $0.decode(String.self)) ?? .queued }
        if state == .failed && job.parentID != nil { try await failJoinsOfFailedParts() }
        return state
    }

    /// Hands a job back without counting the attempt (graceful shutdown ran out of grace).
    func release(_ job: ClaimedJob) async throws -> Bool {
        let rows = try await db.rows("""
            UPDATE smoothpack_jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), worker = NULL,
                   lease_until = NULL, phase = NULL, progress = 0, not_before = now(), token = token + 1
            WHERE id = \(job.id) AND token = \(job.token) AND state = 'running'
            RETURNING id
            """)
        if !rows.isEmpty { try await notify("released") }
        return !rows.isEmpty
    }

    /// A round trip to the database (true when it answered).
    func ping() async -> Bool { (try? await db.rows("SELECT 1")) != nil }

    /// Returns running jobs whose lease expired to the queue (or to `failed` when their attempts are used up:
    /// a job that crashes every worker it meets is a poison job too). Returns how many it changed.
    func reap() async throws -> Int {
        let rows = try await db.rows("""
            WITH reaped AS (
                UPDATE smoothpack_jobs SET
                    state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                    error = 'lease expired on ' || coalesce(worker, '?') || ' during ' || coalesce(phase, '?')
                            || ' (worker stopped, paused or lost its database connection)',
                    not_before = now(),
                    worker = NULL, lease_until = NULL, phase = NULL, token = token + 1,
                    finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END
                WHERE state = 'running' AND lease_until < now()
                RETURNING id
            )
            SELECT count(*)::bigint FROM reaped
            """)
        let n = Int(try rows.first?.decode(Int64.self) ?? 0)
        // Every reap also settles joins whose part failed for good, whether it failed just now or in a `fail`
        // whose follow-up statement was lost with its connection: a join is never left waiting for ever.
        try await failJoinsOfFailedParts()
        if n > 0 { try await notify("reaped") }
        return n
    }

    /// Whether `watch-s3` already queued this object version.
    public func isSeen(bucket: String, key: String, etag: String) async throws -> Bool {
        try await wrap {
            !(try await db.rows("""
                SELECT 1 FROM smoothpack_seen_objects WHERE bucket = \(bucket) AND key = \(key) AND etag = \(etag)
                """)).isEmpty
        }
    }

    /// Records that `watch-s3` queued this object version as `job`.
    public func markSeen(bucket: String, key: String, etag: String, job: Int64) async throws {
        try await wrap {
            _ = try await db.rows("""
                INSERT INTO smoothpack_seen_objects (bucket, key, etag, job_id) VALUES (\(bucket), \(key), \(etag), \(job))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// Wakes idle workers.
    func notify(_ payload: String) async throws {
        _ = try await db.rows("SELECT pg_notify(\(Self.channel), \(payload))")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Runs `body`, mapping PostgreSQL errors to one-line ``WorkersError``s (no query text, no password).
    func wrap<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as WorkersError { throw e } catch let e as CancellationError {
            throw e
        } catch {
            throw WorkersError(.database, "\(url): \(Database.describe(error))")
        }
    }
}
