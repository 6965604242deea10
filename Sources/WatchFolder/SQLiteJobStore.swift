public import Foundation
internal import GRDB
internal import Platform
internal import SystemPackage

/// The ``JobStore`` in an SQLite file, through GRDB.
///
/// The database runs in WAL mode with `synchronous = FULL`, and every transition is one write transaction,
/// so a `kill -9` (or a power cut) at any moment leaves either the old or the new state. The fingerprint
/// column is `UNIQUE`: a file's contents can be queued only once, whatever its name.
public final class SQLiteJobStore: JobStore {
    private let pool: DatabasePool
    /// Held while the store lives; the kernel drops it when the process dies.
    private let lock: LockFile?
    /// The database file.
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// With `exclusive`, an advisory lock on `<path>.lock` (`flock(2)`, released by the kernel when the
    /// process dies, `kill -9` included) makes sure one daemon at a time uses the database: a second one
    /// throws ``JobStoreError/locked(path:)`` instead of requeueing the first one's running jobs.
    public init(path: String, exclusive: Bool = false) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        if exclusive {
            guard let lock = try LockFile(FilePath(path + ".lock")) else { throw JobStoreError.locked(path: path) }
            self.lock = lock
        } else {
            lock = nil
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "smoothpack.jobs"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // On failure the lock is released with the half-made store.
        pool = try DatabasePool(path: path, configuration: configuration)   // DatabasePool always uses WAL
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE job (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source TEXT NOT NULL,
                    fingerprint TEXT NOT NULL UNIQUE,
                    size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL,
                    edge_sha256 TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    not_before REAL,
                    error TEXT,
                    output_prefix TEXT,
                    playback_path TEXT
                );
                CREATE INDEX job_by_state ON job(state, not_before, id);
                """)
        }
        return migrator
    }

    public func enqueue(source: String, fingerprint: Fingerprint, at now: Date) async throws -> EnqueueOutcome {
        try await pool.write { db in
            if var existing = try Self.fetch(db, "fingerprint = ?", [fingerprint.key]) {
                if existing.state == .queued && existing.source != source {
                    try db.execute(sql: "UPDATE job SET source = ?, updated_at = ? WHERE id = ?",
                                   arguments: [source, now.timeIntervalSince1970, existing.id])
                    existing.source = source
                    existing.updatedAt = now
                }
                return .existing(existing)
            }
            try db.execute(sql: """
                INSERT INTO job (source, fingerprint, size, mtime_ns, edge_sha256, state, attempts, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?)
                """, arguments: [source, fingerprint.key, fingerprint.size, fingerprint.modificationTime,
                                 fingerprint.edgeHash, now.timeIntervalSince1970, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            guard let job = try Self.fetch(db, "id = ?", [id]) else { throw JobStoreError.noSuchJob(id: id) }
            return .created(job)
        }
    }

    public func claimNext(at now: Date) async throws -> Job? {
        try await pool.write { db in
            guard let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM job WHERE state = 'queued' AND (not_before IS NULL OR not_before <= ?)
                ORDER BY id LIMIT 1
                """, arguments: [now.timeIntervalSince1970]) else { return nil }
            try db.execute(sql: """
                UPDATE job SET state = 'running', attempts = attempts + 1, started_at = ?, updated_at = ?,
                    not_before = NULL WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, id])
            return try Self.fetch(db, "id = ?", [id])
        }
    }

    public func complete(id: Int64, outputPrefix: String, playbackPath: String, at now: Date) async throws -> Job {
        try await transition(id: id, from: .running) { db in
            try db.execute(sql: """
                UPDATE job SET state = 'done', finished_at = ?, updated_at = ?, error = NULL, output_prefix = ?,
                    playback_path = ? WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, outputPrefix, playbackPath, id])
        }
    }

    public func fail(id: Int64, error: String, at now: Date) async throws -> Job {
        try await transition(id: id, from: .running) { db in
            try db.execute(sql: """
                UPDATE job SET state = 'failed', finished_at = ?, updated_at = ?, error = ? WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, error, id])
        }
    }

    public func requeue(id: Int64, error: String?, notBefore: Date?, refundAttempt: Bool, at now: Date) async throws -> Job {
        try await transition(id: id, from: .running) { db in
            try db.execute(sql: """
                UPDATE job SET state = 'queued', updated_at = ?, not_before = ?, error = COALESCE(?, error),
                    attempts = MAX(0, attempts - ?) WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, notBefore?.timeIntervalSince1970, error,
                                 refundAttempt ? 1 : 0, id])
        }
    }

    public func discard(id: Int64) async throws {
        try await pool.write { db in
            guard let job = try Self.fetch(db, "id = ?", [id]) else { return }
            if job.state.isFinal { throw JobStoreError.wrongState(id: id, expected: .queued, actual: job.state) }
            try db.execute(sql: "DELETE FROM job WHERE id = ?", arguments: [id])
        }
    }

    public func requeueInterrupted(at now: Date) async throws -> [Job] {
        try await pool.write { db in
            let jobs = try Self.fetchAll(db, "state = 'running'", [])
            try db.execute(sql: "UPDATE job SET state = 'queued', updated_at = ?, not_before = NULL WHERE state = 'running'",
                           arguments: [now.timeIntervalSince1970])
            return jobs.map { var job = $0; job.state = .queued; job.updatedAt = now; job.notBefore = nil; return job }
        }
    }

    public func job(id: Int64) async throws -> Job? {
        try await pool.read { db in try Self.fetch(db, "id = ?", [id]) }
    }

    public func job(fingerprint: Fingerprint) async throws -> Job? {
        try await pool.read { db in try Self.fetch(db, "fingerprint = ?", [fingerprint.key]) }
    }

    public func allJobs() async throws -> [Job] {
        try await pool.read { db in try Self.fetchAll(db, "1", []) }
    }

    // MARK: - Rows

    private func transition(id: Int64, from expected: JobState,
                            _ update: @escaping @Sendable (Database) throws -> Void) async throws -> Job {
        try await pool.write { db in
            guard let job = try Self.fetch(db, "id = ?", [id]) else { throw JobStoreError.noSuchJob(id: id) }
            guard job.state == expected else {
                throw JobStoreError.wrongState(id: id, expected: expected, actual: job.state)
            }
            try update(db)
            guard let updated = try Self.fetch(db, "id = ?", [id]) else { throw JobStoreError.noSuchJob(id: id) }
            return updated
        }
    }

    private static func fetch(_ db: Database, _ condition: String, _ arguments: StatementArguments) throws -> Job? {
        try Row.fetchOne(db, sql: "SELECT * FROM job WHERE \(condition)", arguments: arguments).map(job(from:))
    }

    private static func fetchAll(_ db: Database, _ condition: String, _ arguments: StatementArguments) throws -> [Job] {
        try Row.fetchAll(db, sql: "SELECT * FROM job WHERE \(condition) ORDER BY id", arguments: arguments).map(job(from:))
    }

    private static func job(from row: Row) throws -> Job {
        let stateText: String = row["state"]
        guard let state = JobState(rawValue: stateText) else {
            throw DatabaseError(message: "unknown job state \(stateText)")
        }
        func date(_ column: String) -> Date? { (row[column] as Double?).map { Date(timeIntervalSince1970: $0) } }
        return Job(id: row["id"], source: row["source"],
                   fingerprint: Fingerprint(size: row["size"], modificationTime: row["mtime_ns"], edgeHash: row["edge_sha256"]),
                   state: state, attempts: row["attempts"],
                   createdAt: date("created_at") ?? .distantPast, updatedAt: date("updated_at") ?? .distantPast,
                   startedAt: date("started_at"), finishedAt: date("finished_at"), notBefore: date("not_before"),
                   error: row["error"], outputPrefix: row["output_prefix"], playbackPath: row["playback_path"])
    }
}
