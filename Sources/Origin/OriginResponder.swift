internal import HTTPTypes
public import Hummingbird
internal import ISOBMFF
public import Logging
internal import NIOCore
internal import Platform

/// The request context of the origin: Hummingbird's core context plus the request target, parsed once.
public struct OriginRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The target as received (what the access log prints).
    var receivedTarget = "/"
    /// The target parsed by ``RequestPath`` (414/400/404 rules) before routing.
    var target: Result<RequestPath, OriginError> = .failure(.notFound("no request target"))
    /// Where large bodies go to be sent with `sendfile` (nil without a ``RegionSender`` on the connection).
    let regions: RegionMailbox?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.regions = RegionMailbox.lookup(source.channel)
    }

    /// The parsed target; the failure it was refused with otherwise.
    func path() throws(OriginError) -> RequestPath { try target.get() }
}

/// The HTTP face of ``SmoothOrigin``: a Hummingbird router (see ``OriginRoutes``) behind one step that parses
/// the request target.
///
/// - Methods: `GET`, `HEAD` (same headers, no body), `OPTIONS` (CORS preflight, 204); others 405.
/// - Every response carries `Access-Control-Allow-Origin` (``OriginConfiguration/corsOrigin``) and
///   `Access-Control-Expose-Headers` so browser players can read lengths and ranges; with a specific origin
///   also `Vary: Origin`.
/// - Successful answers carry `Content-Type`, `Cache-Control`, a strong `ETag` (file identity + byte range)
///   and `Accept-Ranges: bytes`; `If-None-Match` gives 304; a single `Range` (`a-b`, `a-`, `-n`) gives 206
///   or 416 on every kind of answer (several ranges are ignored and the whole body is sent, as RFC 9110 allows).
/// - Errors: 400 malformed `QualityLevels(…)/Fragments(…)` or percent-encoding, 404 unknown or outside the
///   root, 414 target longer than ``OriginConfiguration/maxURILength``, 502 corrupt media. A failure that is
///   none of these (it should not happen) is answered 502 and logged, never 500.
/// - Access log: one `info` line per request — method, path (first 300 bytes), status, body bytes and the
///   time to produce the response — on the logger given to ``init(origin:logger:)``.
///
/// The target is parsed before routing and the router sees its decoded segments (re-encoded where a byte
/// would change how a path is split), so `%2e`-style spellings reach the same route as the plain ones and a
/// route never matches on something the parser would refuse.
public struct OriginResponder: HTTPResponder {
    public typealias Context = OriginRequestContext

    /// The resolver.
    public let origin: SmoothOrigin
    let router: RouterResponder<OriginRequestContext>

    /// Creates the responder; access-log lines go to `logger` at `info`.
    public init(origin: SmoothOrigin, logger: Logger) {
        self.origin = origin
        self.router = OriginRoutes.router(origin: origin, logger: logger).buildResponder()
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var context = context
        let received = request.head.path ?? "/"
        context.receivedTarget = received
        context.target = RequestPath.parse(received, maxLength: origin.configuration.maxURILength)
        guard case .success(let path) = context.target else {
            // Routed on the raw target; every route's middleware answers the parse failure.
            return try await router.respond(to: request, context: context)
        }
        // Without escapes the raw segments are the decoded ones: route the request as it came.
        if received.utf8.first == UInt8(ascii: "/"),
            !received.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "#") })
        {
            return try await router.respond(to: request, context: context)
        }
        var head = request.head
        head.path = path.routingPath
        return try await router.respond(to: Request(head: head, body: request.body), context: context)
    }
}

/// The one place a ``Payload`` (file, byte range, content type, cache headers) becomes a response: strong
/// `ETag` and `If-None-Match` (304), a single `Range` (206/416), `HEAD` (headers only, nothing read), and the
/// body — a file region sent with `sendfile` when the connection has a ``RegionSender`` and the body is at
/// least ``FileRegions/minimumLength``, else one buffer when small or cached, else read in pieces while
/// writing. Every read runs on ``FileWork``.
struct PayloadResponder: Sendable {
    let origin: SmoothOrigin
    let logger: Logger
    /// Files streamed in pieces of this size; smaller bodies go out in one buffer.
    static let chunkSize = 256 << 10

    func response(
        _ payload: Payload, for request: Request, regions: RegionMailbox? = nil
    ) async throws(OriginError) -> Response {
        let head = Self.head(of: payload, ifNoneMatch: request.headers[.ifNoneMatch], range: request.headers[.range])
        var headers = head.headers
        guard let range = head.range else { return Response(status: head.status, headers: headers) }
        if request.method == .head { return Response(status: head.status, headers: headers) }
        if let regions, range.count >= FileRegions.minimumLength, let key = Self.post(payload, range, to: regions) {
            headers[FileRegions.headerName] = String(key)
            // The bytes follow from the RegionSender; this body only declares their length and ends.
            return Response(
                status: head.status, headers: headers,
                body: ResponseBody(contentLength: range.count) { writer in try await writer.finish(nil) })
        }
        return Response(status: head.status, headers: headers, body: try await body(payload, range))
    }

    /// Status, headers and byte range of the answer for `payload`, the body aside: a strong `ETag`,
    /// `If-None-Match` (304), a single `Range` (206/416). `range` is nil when the answer has no body.
    struct Head {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var range: Range<Int64>?
    }

    static func head(of payload: Payload, ifNoneMatch: String?, range rangeHeader: String?) -> Head {
        var headers = HTTPFields()
        headers.reserveCapacity(12)
        headers[.contentType] = payload.contentType
        headers[.cacheControl] = payload.cacheControl
        headers[.eTag] = "\"\(payload.etag)\""
        headers[.acceptRanges] = "bytes"
        if let ifNoneMatch, matches(ifNoneMatch, etag: payload.etag) {
            return Head(status: .notModified, headers: headers, range: nil)
        }
        var range: Range<Int64> = 0..<payload.length
        var status = HTTPResponse.Status.ok
        if let rangeHeader {
            switch ByteRange.parse(rangeHeader, length: payload.length) {
            case .whole: break
            case .unsatisfiable:
                headers[.contentType] = nil
                headers[.contentRange] = "bytes */\(payload.length)"
                headers[.contentLength] = "0"
                return Head(status: .rangeNotSatisfiable, headers: headers, range: nil)
            case .part(let r):
                range = r
                status = .partialContent
                headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(payload.length)"
            }
        }
        headers[.contentLength] = String(range.count)
        return Head(status: status, headers: headers, range: range)
    }

    /// Posts `range` of `payload`'s file to `regions`; nil (the body is then copied) for a body held in memory,
    /// or when the file can no longer be duplicated (closed, shrunk: the copying path reports that properly).
    static func post(_ payload: Payload, _ range: Range<Int64>, to regions: RegionMailbox) -> UInt64? {
        region(payload, range).flatMap(regions.post)
    }

    /// `range` of `payload`'s file as a region with a descriptor of its own; nil for a body held in memory.
    static func region(_ payload: Payload, _ range: Range<Int64>) -> RegionMailbox.Region? {
        let file: ReadableFile
        let base: Int64
        switch payload.source {
        case .buffer: return nil
        case .fragment(let location):
            file = location.media.source.file
            base = location.range.lowerBound
        case .file(let source):
            file = source.file
            base = 0
        }
        guard let descriptor = try? file.duplicateDescriptor() else { return nil }
        return .init(descriptor: descriptor, range: (base + range.lowerBound)..<(base + range.upperBound))
    }

    /// The body for `range` of `payload`: one buffer when small or cached, else read in pieces while writing.
    private func body(_ payload: Payload, _ range: Range<Int64>) async throws(OriginError) -> ResponseBody {
        switch payload.source {
        case .buffer(let buffer):
            return ResponseBody(byteBuffer: Self.slice(buffer, range, of: payload.length))
        case .fragment(let location):
            if Int64(location.range.count) <= SmoothOrigin.maxBufferedFragment {
                let whole = try await origin.body(of: location)
                return ResponseBody(byteBuffer: Self.slice(whole, range, of: payload.length))
            }
            let base = location.range.lowerBound
            return Self.streamed(
                location.media.source, (base + range.lowerBound)..<(base + range.upperBound), logger: logger)
        case .file(let source):
            if range.count <= Self.chunkSize {
                return ResponseBody(byteBuffer: try await Self.read(source, range))
            }
            return Self.streamed(source, range, logger: logger)
        }
    }

    /// One positional read of `range` on the thread pool.
    private static func read(_ source: MediaSource, _ range: Range<Int64>) async throws(OriginError) -> ByteBuffer {
        try await FileWork.run { () throws(OriginError) in
            do { return ByteBuffer(bytes: try source.read(at: range.lowerBound, count: range.count)) } catch {
                throw .badGateway("\(source.path): \(error)")
            }
        }
    }

    private static func slice(_ buffer: ByteBuffer, _ range: Range<Int64>, of length: Int64) -> ByteBuffer {
        if range.lowerBound == 0 && range.upperBound == length { return buffer }
        return buffer.getSlice(at: buffer.readerIndex + Int(range.lowerBound), length: range.count) ?? ByteBuffer()
    }

    private static func streamed(_ source: MediaSource, _ range: Range<Int64>, logger: Logger) -> ResponseBody {
        ResponseBody(contentLength: range.count) { writer in
            var offset = range.lowerBound
            while offset < range.upperBound {
                let piece = offset..<min(offset + Int64(chunkSize), range.upperBound)
                let bytes: ByteBuffer
                do { bytes = try await read(source, piece) } catch {
                    // Headers are gone already: all that can be done is to cut the connection short.
                    logger.error("read failed while sending \(source.path): \(error)")
                    throw error
                }
                try await writer.write(bytes)
                offset = piece.upperBound
            }
            try await writer.finish(nil)
        }
    }

    /// `If-None-Match` against a strong tag: `*`, or any listed tag (weak or strong) with the same opaque part.
    static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { item in
            var t = item.trimmingPrefix(" ")
            if t == "*" { return true }
            if t.hasPrefix("W/") { t = t.dropFirst(2) }
            return t.trimmingSuffix(" ") == "\"\(etag)\""
        }
    }
}

extension Substring {
    fileprivate func trimmingPrefix(_ c: Character) -> Substring { drop { $0 == c } }
    fileprivate func trimmingSuffix(_ c: Character) -> Substring {
        var s = self
        while s.last == c { s = s.dropLast() }
        return s
    }
}

/// A single `Range: bytes=…` request (RFC 9110 §14.1.2).
enum ByteRange: Equatable {
    /// Send everything (no usable single range: several ranges, another unit, or bad syntax).
    case whole
    /// 416.
    case unsatisfiable
    case part(Range<Int64>)

    static func parse(_ header: String, length: Int64) -> ByteRange {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst(6).filter { $0 != " " }
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        func number(_ s: Substring) -> Int64? {
            guard !s.isEmpty, s.count <= 18, s.allSatisfy(\.isASCIIDigit) else { return nil }
            return Int64(s)
        }
        if first.isEmpty {  // suffix range: the last n bytes
            guard let n = number(last) else { return .whole }
            guard n > 0, length > 0 else { return .unsatisfiable }
            return .part(max(0, length - n)..<length)
        }
        guard let start = number(first) else { return .whole }
        let end: Int64
        if last.isEmpty {
            end = length - 1
        } else {
            guard let e = number(last), e >= start else { return .whole }
            end = min(e, length - 1)
        }
        guard start < length else { return .unsatisfiable }
        return .part(start..<(end + 1))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
