/// Errors of publishing: one line each, never containing a secret.
public struct PublishError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// A command-line value (URL, bucket, region) is malformed.
        case invalidArgument
        /// No credentials found, or a credentials source answered badly.
        case credentials
        /// A local file differs from its upload manifest, or cannot be read.
        case localFile
        /// S3 answered with an error (code and message from its XML body).
        case s3
        /// A published (immutable) key would change.
        case immutableConflict
        /// Connection failures or timeouts after the last attempt.
        case transport
    }

    /// Kind.
    public var kind: Kind
    /// The message (one line).
    public var message: String
    /// Attempts of the request that failed, when it was sent (0 otherwise).
    public var attempts: Int
    /// S3's error code (`SignatureDoesNotMatch`, `NoSuchBucket`, …) when S3 answered with one.
    public var code: String?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, attempts: Int = 0, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.attempts = attempts
        self.code = code
    }

    public var description: String { message }
}

/// An S3 endpoint: scheme, host and port (`https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:8333`).
public struct Endpoint: Sendable, Equatable {
    /// `http` or `https`.
    public var scheme: String
    /// Lower-case host name or address (IPv6 without brackets).
    public var host: String
    /// Port (the scheme's default when the URL has none).
    public var port: Int

    /// Whether the port is the scheme's default.
    public var isDefaultPort: Bool { (scheme == "https" && port == 443) || (scheme == "http" && port == 80) }

    /// The `Host` header value: host, `:port` when not the default; IPv6 in brackets.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return isDefaultPort ? h : "\(h):\(port)"
    }

    /// `scheme://hostHeader`.
    public var url: String { "\(scheme)://\(hostHeader)" }

    /// Creates an endpoint.
    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port ?? (scheme == "https" ? 443 : 80)
    }

    /// Whether `text` carries `user[:password]@` before its host.
    static func hasUserInfo(_ text: String) -> Bool {
        let authority = text.split(separator: "://", maxSplits: 1).last?.split(separator: "/", maxSplits: 1).first ?? ""
        return authority.contains("@")
    }

    /// `text` for an error message: any `user[:password]@` before the host replaced by `***@` (it may be a secret).
    static func redacted(_ text: String) -> String {
        guard hasUserInfo(text) else { return text }
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        let (scheme, rest) = parts.count == 2 ? (String(parts[0]) + "://", parts[1]) : ("", parts[0][...])
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let at = rest[..<slash].lastIndex(of: "@") ?? rest.startIndex
        return scheme + "***" + rest[at...]
    }

    /// Parses `http(s)://host[:port][/]`; a path, query or user info is refused.
    public init(parsing text: String) throws(PublishError) {
        let bad = PublishError(.invalidArgument, "invalid endpoint URL '\(Self.redacted(text))': expected http(s)://host[:port]"
                               + (Self.hasUserInfo(text) ? " (no user info: credentials come from the environment or --aws-profile)" : ""))
        let scheme: String
        var rest: Substring
        if text.hasPrefix("https://") { scheme = "https"; rest = text.dropFirst(8) }
        else if text.hasPrefix("http://") { scheme = "http"; rest = text.dropFirst(7) }
        else { throw bad }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains("?"), !rest.contains("#") else { throw bad }
        var host = rest
        var port: Int?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { throw bad }
                port = p
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { throw bad }
            port = p
        }
        if let port, !(1...65_535).contains(port) { throw bad }
        guard !host.isEmpty else { throw bad }
        self.init(scheme: scheme, host: String(host), port: port)
    }

    /// The AWS endpoint of a region: `https://s3.<region>.amazonaws.com`.
    public static func aws(region: String) -> Endpoint {
        Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com")
    }
}

/// `s3://BUCKET[/PREFIX]`: where presentations go. The prefix never starts or ends with `/`.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    /// Bucket name.
    public var bucket: String
    /// Key prefix without leading or trailing `/` ("" for the bucket root).
    public var prefix: String

    /// Parses `s3://bucket[/prefix[/]]`.
    public init(parsing text: String) throws(PublishError) {
        guard text.hasPrefix("s3://") else {
            throw PublishError(.invalidArgument, "invalid --to '\(text)': expected s3://BUCKET[/PREFIX]")
        }
        let rest = text.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        let valid = bucket.count >= 3 && bucket.count <= 63 && bucket.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" || $0 == "."
        }
        guard valid else {
            throw PublishError(.invalidArgument, "invalid bucket name '\(bucket)' in --to '\(text)'")
        }
        var prefix = rest.dropFirst(bucket.count)
        while prefix.hasPrefix("/") { prefix = prefix.dropFirst() }
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        self.bucket = String(bucket)
        self.prefix = String(prefix)
    }

    /// Creates a location.
    public init(bucket: String, prefix: String = "") {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// `PREFIX/` + `key`, or `key` at the bucket root.
    public func key(_ relative: String) -> String { prefix.isEmpty ? relative : prefix + "/" + relative }

    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }
}
