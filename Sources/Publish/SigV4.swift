internal import Platform
internal import SmoothManifest

/// AWS credentials. `description` never shows the secret or the session token.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    /// Access key id (not secret; appears in the `Authorization` header).
    public var accessKeyID: String
    /// Secret access key.
    public var secretAccessKey: String
    /// Session token of temporary credentials.
    public var sessionToken: String?

    /// Creates credentials.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// `AWSCredentials(AKID…, secret redacted)`.
    public var description: String {
        "AWSCredentials(\(accessKeyID), secret redacted\(sessionToken == nil ? "" : ", session token redacted"))"
    }
}

/// A request as the signer sees it: method, host header value, the raw (not yet encoded) path, query
/// parameters (raw) and headers. The signer percent-encodes path and query exactly as S3 expects.
public struct SignableRequest: Sendable, Equatable {
    /// `GET`, `PUT`, …
    public var method: String
    /// `Host` header value: lower-case host, `:port` only when not the scheme's default.
    public var host: String
    /// Raw path starting with `/` (for path-style addressing `/<bucket>/<key>`); not normalised (S3 keys may
    /// contain `//`, `.` and `..` segments).
    public var path: String
    /// Raw query parameters; a parameter with no value (`?uploads`) has the value "".
    public var query: [(String, String)]
    /// Headers to sign and send (any case; values are trimmed for signing).
    public var headers: [(String, String)]

    /// Creates a request.
    public init(method: String, host: String, path: String, query: [(String, String)] = [],
                headers: [(String, String)] = []) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
    }

    public static func == (a: SignableRequest, b: SignableRequest) -> Bool {
        a.method == b.method && a.host == b.host && a.path == b.path
            && a.query.elementsEqual(b.query, by: ==) && a.headers.elementsEqual(b.headers, by: ==)
    }

    /// The encoded path and query as sent on the request line (`/a%20b?uploadId=x`).
    public var encodedTarget: String {
        let q = SigV4.canonicalQuery(query)
        return SigV4.uriEncode(path, keepSlash: true) + (q.isEmpty ? "" : "?" + q)
    }
}

/// The intermediate values of one signature (for tests and `--debug`; contains no secret).
public struct SigV4Result: Sendable, Equatable {
    /// Canonical request (AWS's "Task 1").
    public var canonicalRequest: String
    /// String to sign ("Task 2").
    public var stringToSign: String
    /// Hex signature ("Task 3").
    public var signature: String
    /// `Authorization` header value.
    public var authorization: String
    /// Every header to send: the request's, plus `host`, `x-amz-date`, `x-amz-content-sha256`,
    /// `x-amz-security-token` when there is one, and `authorization`.
    public var headers: [(String, String)]

    public static func == (a: SigV4Result, b: SigV4Result) -> Bool {
        a.canonicalRequest == b.canonicalRequest && a.stringToSign == b.stringToSign && a.signature == b.signature
            && a.authorization == b.authorization && a.headers.elementsEqual(b.headers, by: ==)
    }
}

/// AWS Signature Version 4 for S3 (header signing): path not normalised, segments encoded once,
/// `x-amz-content-sha256` always present.
public struct SigV4: Sendable {
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (TLS and `Content-MD5` protect it).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Signing credentials.
    public var credentials: AWSCredentials
    /// Region (`us-east-1`).
    public var region: String
    /// Service (`s3`).
    public var service: String

    /// Creates a signer.
    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` at `timestamp` (`YYYYMMDDTHHMMSSZ`, UTC) for a body whose SHA-256 hex is `payloadHash`
    /// (or ``unsignedPayload``).
    public func sign(_ request: SignableRequest, timestamp: String, payloadHash: String) -> SigV4Result {
        var headers = request.headers.filter { name, _ in
            let l = name.lowercased()
            return l != "authorization" && l != "x-amz-date" && l != "x-amz-content-sha256"
                && l != "x-amz-security-token" && l != "host"
        }
        headers.append(("host", request.host))
        headers.append(("x-amz-date", timestamp))
        headers.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }

        // Canonical headers: lower-case names, sorted, repeated names joined with ",", values trimmed with
        // inner runs of whitespace collapsed to one space.
        var byName: [String: [String]] = [:]
        for (name, value) in headers { byName[name.lowercased(), default: []].append(Self.trimAll(value)) }
        let names = byName.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            request.method.uppercased(),
            Self.uriEncode(request.path.isEmpty ? "/" : request.path, keepSlash: true),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let date = String(timestamp.prefix(8))
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope,
                            Hex.lower(SHA256.hash(Array(canonicalRequest.utf8)))].joined(separator: "\n")

        var key = HMAC.sha256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), message: Array(date.utf8))
        key = HMAC.sha256(key: key, message: Array(region.utf8))
        key = HMAC.sha256(key: key, message: Array(service.utf8))
        key = HMAC.sha256(key: key, message: Array("aws4_request".utf8))
        let signature = Hex.lower(HMAC.sha256(key: key, message: Array(stringToSign.utf8)))

        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        headers.append(("authorization", authorization))
        return SigV4Result(canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
                           authorization: authorization, headers: headers)
    }

    /// `YYYYMMDDTHHMMSSZ` for seconds since the Unix epoch (UTC; proleptic Gregorian, no leap seconds).
    public static func timestamp(unixSeconds: Int64) -> String {
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let secs = unixSeconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(y, 4) + pad(m, 2) + pad(d, 2) + "T" + pad(secs / 3600, 2) + pad(secs % 3600 / 60, 2)
            + pad(secs % 60, 2) + "Z"
    }

    /// AWS URI encoding: every byte of the UTF-8 form except `A-Z a-z 0-9 - . _ ~` (and `/` when
    /// `keepSlash`) becomes `%XX` with upper-case hex.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parameters encoded, sorted by encoded name then value (byte order), joined `k=v&…`.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (uriEncode($0.0, keepSlash: false), uriEncode($0.1, keepSlash: false)) }
            .sorted { a, b in
                a.0 != b.0 ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Leading/trailing whitespace removed, inner runs of whitespace as one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }
}

/// HMAC (RFC 2104) over SHA-256.
enum HMAC {
    static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var k = key.count > blockSize ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5C })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}
