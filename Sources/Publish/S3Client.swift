internal import Platform
internal import AsyncHTTPClient
public import Foundation
internal import NIOCore
internal import NIOHTTP1
internal import SmoothManifest
internal import Synchronization

/// Where and how to reach S3.
public struct S3Configuration: Sendable, Equatable {
    /// Endpoint (`https://s3.<region>.amazonaws.com` unless `--endpoint-url`).
    public var endpoint: Endpoint
    /// Signing region.
    public var region: String
    /// Path-style addressing (`/<bucket>/<key>`) instead of virtual-hosted (`<bucket>.<host>/<key>`).
    public var pathStyle: Bool
    /// Attempts per request (first try included) before giving up on retryable failures.
    public var maxAttempts: Int
    /// First backoff delay; doubled per attempt, full jitter, capped at ``maxBackoffMilliseconds``.
    public var baseBackoffMilliseconds: Int
    /// Backoff cap.
    public var maxBackoffMilliseconds: Int
    /// No byte received for this long once the request is sent, or no progress sending its body for this long →
    /// the attempt fails (and is retried).
    public var readTimeoutSeconds: Int
    /// The read timeout of a request whose body is over 64 KiB (default: 60 s more than ``readTimeoutSeconds``).
    /// The HTTP client times the answer from the moment the body is in the kernel's send buffer, which grows to
    /// 4 MiB: on a slow uplink that much can still be on its way, and 60 s more covers links down to ~70 KB/s.
    public var uploadReadTimeoutSeconds: Int
    /// First backoff delay after a throttling answer (503, 429, `SlowDown`) that names no `Retry-After`; doubled
    /// per attempt, full jitter, capped at ``maxBackoffMilliseconds``: S3 asks clients to slow down for seconds.
    public var throttleBackoffMilliseconds: Int

    /// Creates a configuration; an IP-address or `localhost` endpoint uses path style whatever `pathStyle` says.
    public init(endpoint: Endpoint, region: String, pathStyle: Bool = false, maxAttempts: Int = 5,
                baseBackoffMilliseconds: Int = 200, maxBackoffMilliseconds: Int = 8_000, readTimeoutSeconds: Int = 30,
                uploadReadTimeoutSeconds: Int? = nil, throttleBackoffMilliseconds: Int = 1_000) {
        self.endpoint = endpoint
        self.region = region
        let literal = endpoint.host == "localhost" || endpoint.host.contains(":")
            || endpoint.host.split(separator: ".").count == 4 && endpoint.host.allSatisfy { $0 == "." || $0.isNumber }
        self.pathStyle = pathStyle || literal
        self.maxAttempts = max(1, maxAttempts)
        self.baseBackoffMilliseconds = baseBackoffMilliseconds
        self.maxBackoffMilliseconds = maxBackoffMilliseconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.uploadReadTimeoutSeconds = uploadReadTimeoutSeconds ?? readTimeoutSeconds + 60
        self.throttleBackoffMilliseconds = throttleBackoffMilliseconds
    }
}

/// An S3 answer: status, headers (names lower-case), body.
public struct S3Response: Sendable {
    /// HTTP status.
    public var status: Int
    /// Headers, names lower-cased.
    public var headers: [String: String]
    /// Body bytes (error documents and listings; object bodies of GET).
    public var body: [UInt8]
    /// How many attempts it took.
    public var attempts: Int

    /// `<Code>` of an S3 error document, if any.
    public var errorCode: String? { isErrorDocument ? XMLText.first("Code", in: body) : nil }
    /// `<Message>` of an S3 error document, if any.
    public var errorMessage: String? { isErrorDocument ? XMLText.first("Message", in: body) : nil }

    /// Whether the body is an S3 error document: its root element is `<Error>` (after white space and an
    /// optional XML declaration). Checked from the first bytes only, so an object's body (a GET of many
    /// megabytes) is never decoded as text to look for an error code; a `200` answer can still carry an error
    /// (CompleteMultipartUpload), so the status alone cannot decide.
    public var isErrorDocument: Bool {
        var i = body.startIndex
        func skipSpace() {
            while i < body.endIndex, [0x20, 0x0A, 0x0D, 0x09].contains(body[i]) { i += 1 }
        }
        skipSpace()
        if body[i...].starts(with: Array("<?xml".utf8)) {
            // The declaration ends at the first "?>"; a body with none within 1 KiB is not an error document.
            let limit = min(body.endIndex, i + 1024)
            guard let end = body[i..<limit].indices.first(where: { j in
                j + 1 < limit && body[j] == 0x3F && body[j + 1] == 0x3E  // "?>"
            }) else { return false }
            i = end + 2
            skipSpace()
        }
        // `<Error>` or `<Error xmlns="…">`.
        guard body[i...].starts(with: Array("<Error".utf8)), i + 6 < body.endIndex else { return false }
        return [0x3E, 0x20, 0x09, 0x0A, 0x0D].contains(body[i + 6])
    }
}

/// One request as sent (for tests and statistics): method, key, query names, status.
public struct S3RequestRecord: Sendable, Equatable {
    /// Method.
    public var method: String
    /// Object key ("" for bucket operations).
    public var key: String
    /// Query parameter names.
    public var query: [String]
    /// Final status (0 when the transport failed).
    public var status: Int
}

/// A minimal S3 client: signed requests with retries. Bodies are in memory (callers cut files into
/// bounded pieces), so a retry resends exactly the bytes that were hashed and signed.
public final class S3Client: Sendable {
    /// Configuration.
    public let configuration: S3Configuration
    /// Bucket every request addresses.
    public let bucket: String
    private let signer: SigV4
    private let http: HTTPClient
    /// For requests with a body over 64 KiB: the longer read timeout of ``S3Configuration/uploadReadTimeoutSeconds``.
    private let uploads: HTTPClient
    private let log = Mutex<[S3RequestRecord]>([])
    private let now: @Sendable () -> Int64

    /// Creates a client; call ``shutdown()`` when done.
    public init(configuration: S3Configuration, bucket: String, credentials: AWSCredentials,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.configuration = configuration
        self.bucket = bucket
        self.signer = SigV4(credentials: credentials, region: configuration.region)
        self.now = now
        func client(readTimeout: Int) -> HTTPClient {
            var config = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                // Idle timeouts: no byte of the answer for `readTimeout` once the request has been sent, or no
                // progress writing the request body for `readTimeoutSeconds` (bodies go in slices, see `perform`).
                timeout: .init(connect: .seconds(10), read: .seconds(Int64(readTimeout)),
                               write: .seconds(Int64(configuration.readTimeoutSeconds))),
                connectionPool: .init())
            config.decompression = .disabled
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        }
        self.http = client(readTimeout: configuration.readTimeoutSeconds)
        self.uploads = client(readTimeout: configuration.uploadReadTimeoutSeconds)
    }

    /// Closes connections.
    public func shutdown() async {
        try? await http.shutdown()
        try? await uploads.shutdown()
    }

    /// Every request completed so far, in completion order (the last attempt of each).
    public var requests: [S3RequestRecord] { log.withLock { $0 } }

    /// Sends a signed request, retrying 5xx, 408, 429, `SlowDown`, `RequestTimeout`, resets and timeouts with
    /// exponential backoff and full jitter. Returns the final response whatever its status; throws
    /// `.transport` when every attempt failed without an answer.
    public func send(_ method: String, key: String, query: [(String, String)] = [], headers: [(String, String)] = [],
                     body: [UInt8] = [], payloadHash: String? = nil,
                     maxResponseBytes: Int = 16 << 20) async throws -> S3Response {
        let hash = payloadHash ?? Hex.lower(SHA256.hash(body))
        let host: String
        let path: String
        if configuration.pathStyle {
            host = configuration.endpoint.hostHeader
            path = "/\(bucket)/\(key)"
        } else {
            host = "\(bucket).\(configuration.endpoint.hostHeader)"
            path = "/\(key)"
        }
        let buffer = ByteBuffer(bytes: body)
        var lastFailure = ""
        var previous: S3Response?
        for attempt in 1...configuration.maxAttempts {
            try Task.checkCancellation()
            if attempt > 1 { try await backoff(attempt: attempt, after: previous) }
            previous = nil
            let request = SignableRequest(method: method, host: host, path: path, query: query, headers: headers)
            let signed = signer.sign(request, timestamp: SigV4.timestamp(unixSeconds: now()), payloadHash: hash)
            let url = "\(configuration.endpoint.scheme)://\(host)\(request.encodedTarget)"
            var fields = HTTPHeaders()
            for (name, value) in signed.headers { fields.add(name: name, value: value) }
            // A bound on the whole attempt, far above what the idle timeouts allow on a working link: it stops
            // only an answer trickled out to stay under them (body at 16 KiB/s or faster, 2 minutes for the rest).
            let seconds = Int64(120 + body.count / (16 * 1024))
            do {
                let sendsBody = method == "PUT" || method == "POST" || !body.isEmpty
                let response = try await perform(url: url, method: method, headers: fields,
                                                 body: sendsBody ? buffer : nil, seconds: seconds,
                                                 maxResponseBytes: maxResponseBytes)
                var collected = response.body ?? ByteBuffer()
                let bytes = collected.readBytes(length: collected.readableBytes) ?? []
                var headerMap: [String: String] = [:]
                for h in response.headers { headerMap[h.name.lowercased()] = h.value }
                let result = S3Response(status: Int(response.status.code), headers: headerMap, body: bytes,
                                        attempts: attempt)
                if Self.isRetryable(result, method: method), attempt < configuration.maxAttempts {
                    lastFailure = "HTTP \(result.status) \(result.errorCode ?? "")"
                    previous = result
                    continue
                }
                record(method, key, query, result.status)
                return result
            } catch let error as CancellationError {
                throw error
            } catch {
                lastFailure = Self.describe(error)
            }
        }
        record(method, key, query, 0)
        throw PublishError(.transport, "\(method) s3://\(bucket)/\(key): \(lastFailure) after \(configuration.maxAttempts) attempts",
                           attempts: configuration.maxAttempts)
    }

    /// One HTTP exchange. A body goes in slices of 64 KiB, each written when the previous one has been taken by
    /// the connection (`StreamWriter.write` completes only then while the connection is backed up): the HTTP
    /// client starts its read timeout when it queues the request's end, so a body queued whole is timed from its
    /// first byte, and an 8 MiB part could never be sent over a link slower than ~2 Mbit/s. (What the kernel
    /// still holds then is covered by the longer read timeout of bodies over 64 KiB.) Cancelling the calling task
    /// cancels the exchange.
    private func perform(url: String, method: String, headers: HTTPHeaders, body: ByteBuffer?, seconds: Int64,
                         maxResponseBytes: Int) async throws -> HTTPClient.Response {
        var request = try HTTPClient.Request(url: url, method: HTTPMethod(rawValue: method), headers: headers)
        if let body, body.readableBytes > 0 {
            request.body = .stream(contentLength: Int64(body.readableBytes)) { writer in
                @Sendable func write(from offset: Int) -> EventLoopFuture<Void> {
                    let length = Swift.min(64 << 10, body.readableBytes - offset)
                    let slice = body.getSlice(at: body.readerIndex + offset, length: length) ?? ByteBuffer()   // always in range
                    let written = writer.write(.byteBuffer(slice))
                    return offset + length == body.readableBytes ? written : written.flatMap { write(from: offset + length) }
                }
                return write(from: 0)
            }
        } else if let body {
            request.body = .byteBuffer(body)
        }
        let client = (body?.readableBytes ?? 0) > 64 << 10 ? uploads : http
        let task = client.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: maxResponseBytes),
                                deadline: .now() + .seconds(seconds))
        return try await withTaskCancellationHandler {
            try await task.futureResult.get()
        } onCancel: {
            task.cancel()
        }
    }

    private func record(_ method: String, _ key: String, _ query: [(String, String)], _ status: Int) {
        let entry = S3RequestRecord(method: method, key: key, query: query.map(\.0), status: status)
        log.withLock { $0.append(entry) }
    }

    /// Waits before attempt `attempt`: as long as `previous` asked with `Retry-After: <seconds>` (up to a minute),
    /// else exponential backoff with full jitter from the throttling base after a throttling answer, from the
    /// base otherwise (a reset, a timeout, a 500).
    private func backoff(attempt: Int, after previous: S3Response?) async throws {
        if let text = previous?.headers["retry-after"], let seconds = Int(text.trimmingCharacters(in: .whitespaces)),
           seconds > 0 {
            try await Task.sleep(for: .seconds(Swift.min(seconds, 60)))
            return
        }
        let throttled = previous.map { $0.status == 503 || $0.status == 429 || $0.errorCode == "SlowDown" } ?? false
        let base = throttled ? configuration.throttleBackoffMilliseconds : configuration.baseBackoffMilliseconds
        let ceiling = Swift.min(configuration.maxBackoffMilliseconds, base << Swift.min(attempt - 2, 20))
        let delay = Int.random(in: 0...Swift.max(1, ceiling))
        try await Task.sleep(for: .milliseconds(delay))
    }

    /// Whether `r`, the answer to a `method` request, is worth another attempt: 5xx, 408, 429, or an error
    /// document whose code says so. A 2xx carries an error only as the answer to CompleteMultipartUpload (a
    /// `POST`, which may answer 200 with an error document); the body of any other 2xx is what was asked for
    /// (an object's bytes), whatever it looks like.
    static func isRetryable(_ r: S3Response, method: String) -> Bool {
        if r.status >= 500 || r.status == 408 || r.status == 429 { return true }
        if r.status < 300 && method != "POST" { return false }
        switch r.errorCode {
        case "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable": return true
        default: return false
        }
    }

    /// One line for a transport error (no URL credentials exist to leak; the message is AHC's/NIO's).
    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .readTimeout: return "read timed out"
            case .connectTimeout: return "connect timed out"
            case .deadlineExceeded: return "request timed out"
            case .remoteConnectionClosed: return "connection closed by the server"
            default: return "\(e)"
            }
        }
        if let e = error as? IOError {
            // NIO's description repeats itself ("connection reset (error set): Connection refused) (errno: 111)").
            return "connection error: \(String(cString: strerror(e.errnoCode)).lowercased()) (errno \(e.errnoCode))"
        }
        if let e = error as? ChannelError { return "connection error: \(e)" }
        return "\(error)".split(separator: "\n").first.map(String.init) ?? "connection error"
    }

    /// A failure line for a non-2xx answer: `<Code>: <Message> (HTTP status) on METHOD key`.
    public func failure(_ r: S3Response, _ method: String, _ key: String) -> PublishError {
        let code = r.errorCode ?? "HTTP\(r.status)"
        let message = r.errorMessage.map { ": " + $0 } ?? ""
        let attempts = r.attempts > 1 ? " after \(r.attempts) attempts" : ""
        return PublishError(.s3, "\(method) s3://\(bucket)/\(key): \(code)\(message) (HTTP \(r.status))\(attempts)",
                            code: r.errorCode)
    }
}

/// Just enough XML for S3's small documents: the text of elements by name, entities decoded.
enum XMLText {
    static func all(_ name: String, in bytes: [UInt8], decoding: Bool = true) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var out: [String] = []
        var rest = text[...]
        let open = "<\(name)>", close = "</\(name)>"
        while let start = rest.range(of: open), let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) {
            let inner = String(rest[start.upperBound..<end.lowerBound])
            out.append(decoding ? decode(inner) : inner)
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func first(_ name: String, in bytes: [UInt8]) -> String? { all(name, in: bytes).first }

    /// Blocks `<name>…</name>` as raw text (for lists of uploads or parts).
    static func blocks(_ name: String, in bytes: [UInt8]) -> [[UInt8]] {
        all(name, in: bytes, decoding: false).map { Array($0.utf8) }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Named (`&lt;` `&gt;` `&quot;` `&apos;` `&amp;`) and numeric (`&#34;`, `&#x22;`) entities; anything
    /// else is kept as written.
    static func decode(_ s: String) -> String {
        guard s.contains("&") else { return s }
        let named: [Substring: String] = ["lt": "<", "gt": ">", "quot": "\"", "apos": "'", "amp": "&"]
        var out = ""
        var rest = s[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semi = after.firstIndex(of: ";"), after.distance(from: after.startIndex, to: semi) <= 10 else {
                out += "&"
                rest = after
                continue
            }
            let name = after[..<semi]
            var replacement: String?
            if let n = named[name] { replacement = n }
            else if name.hasPrefix("#x") || name.hasPrefix("#X"), let v = UInt32(name.dropFirst(2), radix: 16),
                    let u = Unicode.Scalar(v) { replacement = String(Character(u)) }
            else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let u = Unicode.Scalar(v) {
                replacement = String(Character(u))
            }
            if let replacement {
                out += replacement
                rest = after[after.index(after: semi)...]
            } else {
                out += "&"
                rest = after
            }
        }
        return out + rest
    }
}
