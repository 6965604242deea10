#if canImport(Glibc)
internal import Glibc
#endif
internal import HTTPTypes
internal import Logging
internal import NIOCore
internal import NIOHTTPTypes
internal import Synchronization

/// Answers the requests a player makes most, fragments whose presentation, index and byte range are already in
/// memory, on the connection's event loop, without handing them to Hummingbird's router.
///
/// Why: a request through the router crosses from the event loop to the Swift concurrency pool and back and
/// passes four middlewares; measured with `perf`, that machinery took most of the CPU of `serve` under
/// load, where the answer itself (a cache lookup and a `sendfile`) took little. This handler sits in the
/// connection's pipeline between ``ConnectionState`` (idle timeout, graceful shutdown: it sees every request and
/// answer parsed by NIO) and the channel Hummingbird reads requests from. Most such requests are answered
/// earlier still, from the connection's bytes, by a ``RawRequestReader`` with the same
/// ``answer(origin:isHead:target:ifNoneMatch:range:logger:admit:)``; this handler answers the ones NIO's parser
/// reads (for example those pipelined behind a routed request).
///
/// What it answers, and how it keeps to what the router would have sent:
/// - only `GET` and `HEAD` requests whose target ``SmoothOrigin/directFragment(target:)`` answers from memory,
///   or ``SmoothOrigin/directFile(target:)`` (a static file the router resolved for the same target within
///   `revalidateAfter`: the media files DASH and HLS players read in byte ranges, the files of split trees),
///   without `Connection: close` and without a request body; everything else goes to the router (which
///   closes the connection after a `close`; nothing more is answered here then);
/// - the status and headers come from the code the router's answer uses
///   (``PayloadResponder/head(of:ifNoneMatch:range:)``, ``OriginCORSMiddleware/decorate(_:allowOrigin:)``),
///   with `Date` and `Server` as Hummingbird sets them; the body is a file region (``RegionSender``) from
///   ``FileRegions/minimumLength`` up, else the fragment cache's bytes; a small body not in that cache goes to
///   the router (its read runs on the thread pool);
/// - order: HTTP/1.1 answers go out in the order of the requests, so while any request handed to the router is
///   unanswered, every later one is handed to the router too; it answers only when the connection is writable,
///   so a client that sends requests without reading the answers meets the router's back-pressure;
/// - the access log line is the router's.
final class DirectFragmentResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let origin: SmoothOrigin
    private let sender: RegionSender
    private let logger: Logger
    /// Requests handed to the router whose answer has not ended yet.
    private var routed = 0
    /// A `Connection: close` request went to the router: nothing more is answered here.
    private var closing = false
    /// The answer to the request being read, written once its end arrives.
    private var held: Answer?
    private var unflushed = false

    enum Body {
        case none
        case bytes(ByteBuffer)
        /// A file region admitted by the connection's ``RegionMailbox``: sent by the ``RegionSender`` under the
        /// codec, handed to it with the head (``RegionSender/attachToNextHead(_:)``), or written by a
        /// ``RawRequestReader``. Its descriptor is owned by whoever holds it.
        case region(RegionMailbox.Region)
    }

    init(origin: SmoothOrigin, sender: RegionSender, logger: Logger) {
        self.origin = origin
        self.sender = sender
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if routed == 0, !closing, context.channel.isWritable, let answer = answer(request) {
                held = answer
                return
            }
            if Self.asksToClose(request) { closing = true }
            routed += 1
            context.fireChannelRead(data)
        case .body:
            if held == nil { context.fireChannelRead(data) }
        case .end:
            guard let answer = held else {
                context.fireChannelRead(data)
                return
            }
            held = nil
            write(answer, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A 400 for a request that could not be parsed was never counted in.
        if case .end = unwrapOutboundIn(data), routed > 0 { routed -= 1 }
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let answer = held, case .region(let region) = answer.body {
            _ = Glibc.close(region.descriptor)
            sender.mailbox.closed()
        }
        held = nil
    }

    private func write(_ answer: Answer, context: ChannelHandlerContext) {
        if case .region(let region) = answer.body { sender.attachToNextHead(region) }
        let head = HTTPResponse(status: answer.status, headerFields: answer.headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        sender.attachToNextHead(nil)  // taken by now; never left for another response's head
        if case .bytes(let bytes) = answer.body { context.write(wrapOutboundOut(.body(bytes)), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        unflushed = true
        if let line = answer.log { logger.info("\(line)") }
    }

    /// `Connection: close` (any case, any list): the router answers it and closes the connection after.
    static func asksToClose(_ request: HTTPRequest) -> Bool {
        request.headerFields[values: .connection].contains { $0.lowercased().contains("close") }
    }

    /// The whole answer to `request` from memory, or nil to hand it to the router.
    private func answer(_ request: HTTPRequest) -> Answer? {
        guard request.method == .get || request.method == .head,
            !Self.asksToClose(request), request.headerFields[.transferEncoding] == nil,
            request.headerFields[.contentLength].map({ $0 == "0" }) ?? true,
            let target = request.path
        else { return nil }
        let mailbox = sender.mailbox
        return Self.answer(
            origin: origin, isHead: request.method == .head, target: target,
            ifNoneMatch: request.headerFields[.ifNoneMatch], range: request.headerFields[.range], logger: logger,
            admit: mailbox.admit)
    }

    /// An answer made from memory (``answer(origin:isHead:target:ifNoneMatch:range:logger:admit:)``).
    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: Body
        /// The access log line, when the logger logs `info`.
        var log: String?
        /// When set (asked for with `usePrepared`), the answer is a whole `200` whose head is these bytes with
        /// ``date`` put in; ``headers`` is then empty.
        var prepared: PreparedHead? = nil
        /// The `Date` value for ``prepared``.
        var date = ""
    }

    /// The answer to a `GET` (or `HEAD`) of `target` with these `If-None-Match` and `Range` values, from what
    /// ``SmoothOrigin/directFragment(target:)`` or ``SmoothOrigin/directFile(target:)`` hold, or nil for the
    /// router. A body from ``FileRegions/minimumLength`` up is a file region that `admit` accepted (it bounds the
    /// descriptors a connection holds); a smaller one is the fragment cache's bytes.
    static func answer(
        origin: SmoothOrigin, isHead: Bool, target: String, ifNoneMatch: String?, range: String?, logger: Logger,
        admit: (RegionMailbox.Region) -> RegionMailbox.Region?, usePrepared: Bool = false
    ) -> Answer? {
        let start = ContinuousClock.now
        guard let payload = origin.directFragment(target: target) ?? origin.directFile(target: target) else {
            return nil
        }
        if usePrepared, !isHead, ifNoneMatch == nil, range == nil, let prepared = payload.prepared {
            // A whole `200`: its head was prepared when the target was remembered, but for `Date`.
            guard let body = Self.body(of: payload, 0..<payload.length, origin: origin, admit: admit) else {
                return nil
            }
            origin.directAnswers.add()
            let log = logger.logLevel <= .info ? logLine("GET", target, 200, "\(payload.length)", since: start) : nil
            return Answer(
                status: .ok, headers: HTTPFields(), body: body, log: log, prepared: prepared, date: HTTPDate.now())
        }
        let head = PayloadResponder.head(of: payload, ifNoneMatch: ifNoneMatch, range: range)
        var headers = head.headers
        var body = Body.none
        if let range = head.range, !isHead {
            guard let part = Self.body(of: payload, range, origin: origin, admit: admit) else { return nil }
            body = part
        }
        if head.range == nil, headers[.contentLength] == nil { headers[.contentLength] = "0" }
        OriginCORSMiddleware.decorate(&headers, allowOrigin: origin.configuration.corsOrigin)
        headers[.date] = HTTPDate.now()
        if let server = origin.configuration.serverName { headers[.server] = server }
        origin.directAnswers.add()
        var log: String?
        if logger.logLevel <= .info {
            let bytes = isHead ? "0" : (headers[.contentLength] ?? "-")
            log = logLine(isHead ? "HEAD" : "GET", target, head.status.code, bytes, since: start)
        }
        return Answer(status: head.status, headers: headers, body: body, log: log)
    }

    /// `range` of `payload`: a file region that `admit` accepted from ``FileRegions/minimumLength`` up, else the
    /// fragment cache's bytes; nil (the router answers) when neither is at hand.
    private static func body(
        of payload: Payload, _ range: Range<Int64>, origin: SmoothOrigin,
        admit: (RegionMailbox.Region) -> RegionMailbox.Region?
    ) -> Body? {
        if range.count >= FileRegions.minimumLength {
            return PayloadResponder.region(payload, range).flatMap(admit).map { .region($0) }
        }
        guard case .fragment(let location) = payload.source, let whole = origin.cachedBody(of: location),
            let slice = whole.getSlice(at: whole.readerIndex + Int(range.lowerBound), length: range.count)
        else { return nil }
        return .bytes(slice)
    }

    /// The access log line: method, target (its first 300 characters), status, body bytes, time taken.
    private static func logLine(
        _ method: String, _ target: String, _ status: Int, _ bytes: String, since start: ContinuousClock.Instant
    ) -> String {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        return "\(method) \(target.prefix(300)) \(status) \(bytes) \(micros)us"
    }
}

/// The `Date` header (RFC 9110 §5.6.7 IMF-fixdate), formatted at most once a second per process.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func now() -> String {
        var now = time(nil)
        let second = Int(now)
        if let text = cache.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = format(&now)
        cache.withLock { $0 = (second, text) }
        return text
    }

    static func format(_ t: inout time_t) -> String {
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) "
            + "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
