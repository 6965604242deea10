/// Why a request cannot be answered with content; each case maps to one HTTP status.
public enum OriginError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 404: no such presentation, bitrate, track, time or file, or a path that would leave the root.
    case notFound(String)
    /// 400: a malformed `QualityLevels(…)/Fragments(…)` form or percent-encoding.
    case badRequest(String)
    /// 414: the request target is longer than ``OriginConfiguration/maxURILength``.
    case uriTooLong(Int)
    /// 502: the presentation's files are unreadable or corrupt (bad `.ism`, missing `.ismc`, no `mfra`…).
    case badGateway(String)
    /// Reading or writing local files failed (split tree, start-up); never an HTTP answer.
    case io(String)

    /// The HTTP status code for this error (`io` maps to 502 should it ever reach a response).
    public var statusCode: Int {
        switch self {
        case .notFound: 404
        case .badRequest: 400
        case .uriTooLong: 414
        case .badGateway, .io: 502
        }
    }

    /// One line naming the failure.
    public var description: String {
        switch self {
        case .notFound(let s): "not found: \(s)"
        case .badRequest(let s): "bad request: \(s)"
        case .uriTooLong(let n): "request target of \(n) bytes is too long"
        case .badGateway(let s): "bad media: \(s)"
        case .io(let s): s
        }
    }
}
