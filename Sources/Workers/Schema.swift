internal import PostgresNIO

/// The queue's tables, versioned. `queue init` applies the migrations this build knows, in order, inside one
/// transaction under an advisory lock (two `init`s at once are safe; a second `init` is a no-op). A worker or
/// CLI refuses a database whose schema is newer than it knows, and one that was never initialised.
public enum Schema {
    /// The newest version this build knows.
    public static var current: Int { migrations.count }

    /// Migration n (1-based) brings the schema from version n-1 to n. Never edit a published one: add another.
    static let migrations: [[String]] = [
        // 1: jobs with leases and fencing tokens.
        [
            """
            CREATE TABLE smoothpack_jobs (
                id           bigserial PRIMARY KEY,
                source       text NOT NULL,
                fingerprint  text NOT NULL,
                source_size  bigint NOT NULL DEFAULT 0,
                profile      text NOT NULL,
                destination  text NOT NULL,
                priority     integer NOT NULL DEFAULT 0,
                state        text NOT NULL DEFAULT 'queued'
                             CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                attempts     integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
                not_before   timestamptz NOT NULL DEFAULT now(),
                token        bigint NOT NULL DEFAULT 0,
                worker       text,
                lease_until  timestamptz,
                phase        text,
                progress     real NOT NULL DEFAULT 0,
                error        text,
                result       text,
                created_at   timestamptz NOT NULL DEFAULT now(),
                started_at   timestamptz,
                finished_at  timestamptz
            )
            """,
            "CREATE UNIQUE INDEX smoothpack_jobs_identity ON smoothpack_jobs (fingerprint, profile, destination)",
            "CREATE INDEX smoothpack_jobs_claim ON smoothpack_jobs (priority DESC, created_at, id) WHERE state = 'queued'",
            "CREATE INDEX smoothpack_jobs_lease ON smoothpack_jobs (lease_until) WHERE state = 'running'",
            // watch-s3: each (key, ETag) seen once, whatever happens to its job later.
            """
            CREATE TABLE smoothpack_seen_objects (
                bucket  text NOT NULL,
                key     text NOT NULL,
                etag    text NOT NULL,
                job_id  bigint,
                seen_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (bucket, key, etag)
            )
            """,
        ],
        // 2: split encodes. A long source's job becomes the `join` of `chunk` jobs (video, one time range each)
        // and an `audio` job; it waits (`waiting`) until its `pending_parts` counter reaches zero. The identity of
        // a queued source includes the chunk length it was added with.
        [
            """
            ALTER TABLE smoothpack_jobs
                ADD COLUMN kind text NOT NULL DEFAULT 'encode' CHECK (kind IN ('encode', 'chunk', 'audio', 'join')),
                ADD COLUMN parent_id bigint REFERENCES smoothpack_jobs (id) ON DELETE CASCADE,
                ADD COLUMN part integer,
                ADD COLUMN chunk_seconds double precision,
                ADD COLUMN pending_parts integer NOT NULL DEFAULT 0,
                ADD COLUMN split text
            """,
            "ALTER TABLE smoothpack_jobs DROP CONSTRAINT smoothpack_jobs_state_check",
            """
            ALTER TABLE smoothpack_jobs ADD CONSTRAINT smoothpack_jobs_state_check
                CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled', 'waiting'))
            """,
            "DROP INDEX smoothpack_jobs_identity",
            """
            CREATE UNIQUE INDEX smoothpack_jobs_identity ON smoothpack_jobs
                (fingerprint, profile, destination, (coalesce(chunk_seconds, -1))) WHERE parent_id IS NULL
            """,
            "CREATE UNIQUE INDEX smoothpack_jobs_parts ON smoothpack_jobs (parent_id, kind, part) WHERE parent_id IS NOT NULL",
        ],
    ]

    /// Creates or upgrades the schema; returns (version before, version after).
    static func migrate(_ db: Database) async throws -> (from: Int, to: Int) {
        try await db.transaction { connection in
            let logger = connection.logger
            try await connection.query("SELECT pg_advisory_xact_lock(7265746371)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS smoothpack_schema (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    version   integer NOT NULL
                )
                """, logger: logger)
            try await connection.query("INSERT INTO smoothpack_schema (version) VALUES (0) ON CONFLICT DO NOTHING",
                                       logger: logger)
            var from = 0
            for try await v in try await connection.query("SELECT version FROM smoothpack_schema", logger: logger)
                .decode(Int.self) { from = v }
            if from > current {
                throw WorkersError(.schema, "the queue's schema is version \(from), newer than this smoothpack knows "
                                   + "(\(current)): upgrade smoothpack")
            }
            for n in stride(from: from, to: current, by: 1) {
                for statement in migrations[n] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            try await connection.query("UPDATE smoothpack_schema SET version = \(current)", logger: logger)
            return (from, current)
        }
    }

    /// Throws unless the schema exists and is exactly ``current`` (older: run `queue init`; newer: upgrade).
    static func check(_ db: Database) async throws {
        let rows = try await db.rows("SELECT to_regclass('smoothpack_schema') IS NOT NULL")
        let exists = try rows.first?.decode(Bool.self) ?? false
        guard exists else {
            throw WorkersError(.schema, "no smoothpack queue in \(db.url): run `smoothpack queue init --queue URL` first")
        }
        let version = try await db.rows("SELECT version FROM smoothpack_schema").first?.decode(Int.self) ?? 0
        if version > current {
            throw WorkersError(.schema, "the queue's schema is version \(version), newer than this smoothpack knows "
                               + "(\(current)): upgrade smoothpack on this host")
        }
        if version < current {
            throw WorkersError(.schema, "the queue's schema is version \(version), older than this smoothpack "
                               + "(\(current)): run `smoothpack queue init --queue URL` to upgrade it")
        }
    }
}
