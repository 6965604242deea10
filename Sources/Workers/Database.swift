internal import Foundation
internal import Logging
internal import PostgresNIO
internal import Synchronization

/// One PostgreSQL connection, opened on first use and reopened after it breaks. Queries are short and few (a
/// claim, a heartbeat every few seconds per job), so a worker needs one connection for them plus one for LISTEN.
actor Database {
    let url: QueueURL
    private let logger: Logger
    private var connection: PostgresConnection?
    private var nextID = 1

    /// See ``Database/defaultAnswerTimeout``.
    let answerTimeout: Duration

    init(url: QueueURL, logger: Logger, answerTimeout: Duration = Database.defaultAnswerTimeout) {
        self.url = url
        self.logger = logger
        self.answerTimeout = answerTimeout
    }

    /// How long one statement or transaction may wait for the server. Ours take milliseconds; a connection that
    /// has gone silent (a failover, a lost NAT entry, a pulled cable: no FIN, no RST) would otherwise be waited on
    /// for ever, holding the worker and its SIGTERM.
    static let defaultAnswerTimeout: Duration = .seconds(30)

    /// Runs `query` and returns every row. A broken connection is closed, so the next call reconnects.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let connection = try await connected()
        let logger = self.logger
        do {
            return try await Self.bounded(connection, timeout: answerTimeout) {
                var out: [PostgresRow] = []
                for try await row in try await connection.query(query, logger: logger) { out.append(row) }
                return out
            }
        } catch {
            if Self.isConnectionFailure(error) { await drop() }
            throw error
        }
    }

    /// Runs `body` inside BEGIN … COMMIT on this connection (ROLLBACK when it throws).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connected()
        let logger = self.logger
        do {
            return try await Self.bounded(connection, timeout: answerTimeout) {
                try await connection.withTransaction(logger: logger) { try await body($0) }
            }
        } catch {
            if Self.isConnectionFailure(error) { await drop() }
            throw error
        }
    }

    /// `work` on `connection`, unless the server has not answered within `timeout`: then the connection is
    /// closed (which ends `work` with a connection error whatever it was waiting for) and a connection failure is
    /// thrown, so callers reconnect and retry as after any broken connection.
    static func bounded<T: Sendable>(_ connection: PostgresConnection, timeout: Duration,
                                     _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let timedOut = Locked(false)
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await work() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    timedOut.withLock { $0 = true }
                    try? await connection.close()
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw CancellationError()   // not reached: `work` returns or throws once the connection is closed
            }
        } catch {
            guard timedOut.value else { throw error }
            throw WorkersError(.database, "cannot connect: no answer from the database for \(timeout.components.seconds) s "
                               + "(connection closed)")
        }
    }

    func close() async {
        await drop()
    }

    private func drop() async {
        if let c = connection { try? await c.close() }
        connection = nil
    }

    private func connected() async throws -> PostgresConnection {
        if let c = connection, !c.isClosed { return c }
        // A connection the server dropped is still closed explicitly (PostgresNIO requires close() before release).
        await drop()
        let c = try await Database.open(url, id: nextID, logger: logger)
        nextID += 1
        // Reentrancy: another caller may have connected while this one waited; keep one, close the other
        // (a connection released unclosed trips PostgresNIO's assertion).
        if let other = connection, !other.isClosed {
            try? await c.close()
            return other
        }
        if let stale = connection { try? await stale.close() }
        connection = c
        return c
    }

    static func open(_ url: QueueURL, id: Int, logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: id, logger: logger)
        } catch {
            // A wrong user or password (SQLSTATE class 28) or a database that does not exist (3D000): waiting does
            // not fix these, so they are not connection failures (which are retried).
            if let p = error as? PSQLError, let state = p.serverInfo?[.sqlState], state.hasPrefix("28") || state == "3D000" {
                throw WorkersError(.database, "the database at \(url) refused this worker: \(Database.describe(error))")
            }
            throw WorkersError(.database, "cannot connect to \(url): \(Database.describe(error))")
        }
    }

    /// True for errors after which the same statement may succeed on a new connection (the server went away,
    /// is starting or shutting down, the network broke); false for SQL errors, which retrying cannot fix.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if let w = error as? WorkersError { return w.kind == .database && w.message.hasPrefix("cannot connect") }
        guard let p = error as? PSQLError else { return !(error is CancellationError) }
        switch p.code {
        case .server:
            let state = p.serverInfo?[.sqlState] ?? ""
            // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now;
            // 40001/40P01: serialization failure/deadlock (retry is the documented answer).
            return state.hasPrefix("08") || state.hasPrefix("57P") || state == "40001" || state == "40P01"
        case .queryCancelled, .tooManyParameters, .messageDecodingFailure, .invalidCommandTag:
            return false
        default:
            return true
        }
    }

    /// One line for a database error: the server's message and SQLSTATE, or the kind of connection failure.
    /// (PSQLError's own description hides everything; its debug text may hold the query.)
    static func describe(_ error: any Error) -> String {
        if let w = error as? WorkersError { return w.message }
        if let p = error as? PSQLError {
            if let info = p.serverInfo {
                let message = info[.message] ?? "server error"
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            if let underlying = p.underlying { return "\(p.code): \(firstLine(underlying))" }
            return "\(p.code)"
        }
        return firstLine(error)
    }

    private static func firstLine(_ error: any Error) -> String {
        "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
    }
}

/// Exponential backoff with full jitter for reconnecting: 100 ms doubling to `cap`.
struct Backoff: Sendable {
    var attempt = 0
    var cap: Duration = .seconds(5)

    mutating func next() -> Duration {
        attempt += 1
        let ceiling = min(Double(cap.components.seconds) * 1000, 100 * pow(2, Double(min(attempt - 1, 16))))
        return .milliseconds(Int.random(in: Int(ceiling / 2)...max(Int(ceiling / 2) + 1, Int(ceiling))))
    }

    mutating func reset() { attempt = 0 }
}

extension Database {
    /// Runs `body` again after connection failures, with backoff, until it succeeds, throws a non-connection
    /// error, or `deadline` passes (then the last failure is thrown). Cancellation ends the wait at once.
    nonisolated func retrying<T: Sendable>(until deadline: ContinuousClock.Instant? = nil, onRetry: @Sendable (String) -> Void = { _ in },
                               _ body: (Database) async throws -> T) async throws -> T {
        var backoff = Backoff()
        while true {
            do { return try await body(self) } catch {
                guard Database.isConnectionFailure(error) else { throw error }
                if let deadline, ContinuousClock.now >= deadline { throw error }
                onRetry(Database.describe(error))
                try await Task.sleep(for: backoff.next())
            }
        }
    }
}
