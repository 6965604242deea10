public import Foundation
internal import PostgresNIO
internal import NIOSSL

/// Where the job queue lives: a libpq-style URL.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|prefer|require]`, or a unix socket folder as
/// `postgres://USER@/DB?host=/run/postgresql` (or the host percent-encoded: `postgres://USER@%2Frun%2Fpostgresql/DB`).
/// A password missing from the URL is taken from `PGPASSWORD`. The password never appears in ``description``.
public struct QueueURL: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var user: String
    public var password: String?
    /// Host name or address; nil when ``socketFolder`` is set.
    public var host: String?
    public var port: Int
    /// Folder holding `.s.PGSQL.<port>`.
    public var socketFolder: String?
    public var database: String
    public var tls: TLSMode

    /// Parses `text`; throws ``WorkersError`` naming what is wrong (never echoing a password).
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(WorkersError) {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql" else {
            throw WorkersError(.usage, "--queue must be a postgres://USER@HOST[:PORT]/DB URL")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let user = components.percentEncodedUser?.removingPercentEncoding ?? query["user"]
            ?? environment["PGUSER"] ?? environment["USER"] ?? ""
        guard !user.isEmpty else { throw WorkersError(.usage, "--queue: no user name in the URL (postgres://USER@HOST/DB)") }
        self.user = user
        self.password = components.percentEncodedPassword?.removingPercentEncoding ?? environment["PGPASSWORD"]
        let rawHost = (components.percentEncodedHost?.removingPercentEncoding).flatMap { $0.isEmpty ? nil : $0 }
            ?? query["host"]
        if let rawHost, rawHost.hasPrefix("/") {
            self.socketFolder = rawHost
            self.host = nil
        } else {
            self.socketFolder = nil
            self.host = rawHost ?? "localhost"
        }
        if let p = query["port"] ?? components.port.map(String.init) {
            guard let n = Int(p), (1...65535).contains(n) else { throw WorkersError(.usage, "--queue: bad port '\(p)'") }
            self.port = n
        } else {
            self.port = 5432
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? query["dbname"] ?? user
        guard let mode = TLSMode(rawValue: query["sslmode"] ?? "prefer") else {
            throw WorkersError(.usage, "--queue: sslmode is disable, prefer or require")
        }
        self.tls = mode
    }

    /// The URL without its password.
    public var description: String {
        let where_ = socketFolder.map { "?host=\($0)" } ?? ""
        let hostPart = host.map { "\($0):\(port)" } ?? ""
        return "postgres://\(user)@\(hostPart)/\(database)\(where_)"
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketFolder {
            configuration = .init(unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: user, password: password,
                                  database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch self.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: host ?? "localhost", port: port, username: user, password: password,
                                  database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
