#if canImport(Glibc)
internal import Glibc
#endif
internal import HTTPTypes
internal import HummingbirdCore
internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import Synchronization

/// Fragment and media bodies sent with `sendfile(2)` instead of being copied through user space.
///
/// Hummingbird's response body writer takes only `ByteBuffer`s, so the file region goes round it: the route
/// posts the body (a descriptor of its own and a byte range) to its connection's ``RegionMailbox`` and answers
/// with the status, the headers (with the real `Content-Length`) and an empty body, marked by one internal
/// header naming the post. ``RegionSender``, a handler placed in the connection's pipeline below Hummingbird's
/// HTTP/1 codec (where bodies are NIO's `IOData`, which may be a `FileRegion`), removes the header, and writes
/// the region between the head and the end of that response (a ``DirectFragmentResponder`` hands the key over
/// with ``RegionSender/attachToNextHead(_:)`` instead of the header: no header to add, find and remove on the
/// requests players make most). Keyed posts (not a queue) keep a response that a
/// middleware replaced from ever taking another one's bytes; a marked head whose post is missing becomes a 502
/// with no body rather than a length without its bytes.
///
/// Where there is no such handler (Hummingbird's router tests, another server) ``RegionMailbox/lookup(_:)``
/// finds nothing and the body goes out as a buffer, as before.
enum FileRegions {
    /// Bodies at least this long go out as file regions. Shorter ones are copied: one `pread` or a cache hit
    /// against duplicating the descriptor, `fstat`, `sendfile` and `close` (a round figure, not tuned).
    static let minimumLength: Int64 = 16 << 10
    /// The connection's write-buffer water marks. NIO counts a queued file region's bytes as buffered, so
    /// under its default (64 KiB high, 32 KiB low) every fragment made the connection unwritable until it was
    /// sent and writable again after, and each change went through the pipeline to Hummingbird's writer (4 %
    /// of the server's CPU under load). A region holds no memory, only a descriptor; buffers written by the
    /// router (manifests, small bodies) are back-pressured from 1 MiB on instead of 64 KiB.
    static let waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 512 << 10, high: 1 << 20)
    /// The internal header; never reaches the client.
    static let header = "x-smoothpack-file-region"
    /// ``header`` as an HTTP field name (validated once).
    static let headerName = HTTPField.Name(header)!
}

/// The file regions the routes of one connection have posted and its ``RegionSender`` has not sent yet. Owns
/// their descriptors: each is closed once sent, or when the connection goes away.
final class RegionMailbox: Sendable {
    struct Region: Sendable {
        /// Owned: a duplicate from ``Platform/ReadableFile/duplicateDescriptor()``.
        let descriptor: CInt
        /// Absolute byte range in the file.
        let range: Range<Int64>
    }

    private struct State {
        var next: UInt64 = 1
        var posted: [UInt64: Region] = [:]
        /// Posted regions whose descriptor is still open: posted, or taken and not yet sent.
        var open = 0
        var closed = false
    }

    /// At most this many regions of one connection hold a descriptor at a time. A client that sends requests
    /// without reading the answers gets the rest of its bodies copied (back-pressured by the connection's
    /// ``FileRegions/waterMark``) instead of holding a descriptor for each.
    static let maximumOpen = 16

    private let state = Mutex(State())

    /// Takes ownership of `region`; the key goes into the response's internal header. Nil (and the
    /// descriptor closed) once the connection has gone away.
    func post(_ region: Region) -> UInt64? {
        let key: UInt64? = state.withLock { s in
            guard !s.closed, s.open < Self.maximumOpen else { return nil }
            let key = s.next
            s.next += 1
            s.posted[key] = region
            s.open += 1
            return key
        }
        if key == nil { _ = Glibc.close(region.descriptor) }
        return key
    }

    /// Counts `region` (owned by the caller from now on, who calls ``closed()`` once it has closed it) among the
    /// open ones, or closes its descriptor and returns nil when ``maximumOpen`` are open or the connection has
    /// gone away. For answers that hand the region over directly instead of posting it.
    func admit(_ region: Region) -> Region? {
        let admitted = state.withLock { s in
            guard !s.closed, s.open < Self.maximumOpen else { return false }
            s.open += 1
            return true
        }
        if !admitted { _ = Glibc.close(region.descriptor) }
        return admitted ? region : nil
    }

    /// The region posted under `key`, now owned by the caller, who calls ``closed()`` once it has closed it.
    func take(_ key: UInt64) -> Region? { state.withLock { $0.posted.removeValue(forKey: key) } }

    /// A region taken from this mailbox has been sent (or dropped) and its descriptor closed.
    func closed() { state.withLock { $0.open -= 1 } }

    /// Regions posted or taken whose descriptors are still open (tests).
    var openCount: Int { state.withLock { $0.open } }

    /// Number of regions posted and not taken (tests).
    var pendingCount: Int { state.withLock { $0.posted.count } }

    /// Closes every region not taken; later posts are refused.
    func close() {
        let orphans = state.withLock { s in
            s.closed = true
            s.open -= s.posted.count
            defer { s.posted = [:] }
            return Array(s.posted.values)
        }
        for region in orphans { _ = Glibc.close(region.descriptor) }
    }

    private static let registry = Mutex<[ObjectIdentifier: RegionMailbox]>([:])

    /// The mailbox of `channel`'s ``RegionSender``, if it has one.
    static func lookup(_ channel: any Channel) -> RegionMailbox? {
        registry.withLock { $0[ObjectIdentifier(channel)] }
    }

    fileprivate static func register(_ mailbox: RegionMailbox, for channel: any Channel) {
        registry.withLock { $0[ObjectIdentifier(channel)] = mailbox }
    }

    fileprivate static func unregister(_ channel: any Channel) {
        _ = registry.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

/// Writes the posted file region of each marked response between its head and its end (see ``FileRegions``).
/// Runs on the connection's event loop; NIO sends the region with `sendfile`.
final class RegionSender: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let mailbox = RegionMailbox()
    private var pending: (handle: NIOFileHandle, range: Range<Int64>)?
    private let logger: Logger
    private let sent: EventCount

    init(logger: Logger, sent: EventCount = EventCount()) {
        self.logger = logger
        self.sent = sent
    }

    func handlerAdded(context: ChannelHandlerContext) {
        RegionMailbox.register(mailbox, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        RegionMailbox.unregister(context.channel)
        mailbox.close()
        closeStale()
        if let region = attached {
            attached = nil
            _ = Glibc.close(region.descriptor)
            mailbox.closed()
        }
    }

    /// The region (admitted by ``mailbox``) a ``DirectFragmentResponder`` in this pipeline hands over with the
    /// head it is about to write, instead of the internal header a route adds: that write reaches this handler
    /// within the same call.
    private var attached: RegionMailbox.Region?

    /// Makes `region` (owned by this handler from now on) the body of the next head written (nil: none).
    func attachToNextHead(_ region: RegionMailbox.Region?) { attached = region }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where attached != nil:
            closeStale()
            pending = (NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: attached!.descriptor), attached!.range)
            attached = nil
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head(var head) where head.headers.contains(name: FileRegions.header):
            let key = head.headers.first(name: FileRegions.header).flatMap { UInt64($0) }
            head.headers.remove(name: FileRegions.header)
            take(key, for: &head)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            if let p = pending {
                pending = nil
                let region = FileRegion(
                    fileHandle: p.handle, readerIndex: Int(p.range.lowerBound), endIndex: Int(p.range.upperBound))
                let (handle, mailbox) = (p.handle, self.mailbox)
                sent.add()
                context.write(wrapOutboundOut(.body(.fileRegion(region)))).whenComplete { _ in
                    try? handle.close()
                    mailbox.closed()
                }
            }
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    /// A region whose response never reached its end (replaced by a middleware's answer) is dropped.
    private func closeStale() {
        if let stale = pending {
            pending = nil
            try? stale.handle.close()
            mailbox.closed()
        }
    }

    /// Makes the region posted under `key` the body of the response `head` starts, or, if there is no such
    /// region, turns `head` into a 502 without a body.
    private func take(_ key: UInt64?, for head: inout HTTPResponseHead) {
        if let key, let region = mailbox.take(key) {
            closeStale()
            pending = (NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: region.descriptor), region.range)
        } else {
            logger.error("file region \(key.map(String.init) ?? "?") of a response was not posted; answered 502")
            head.status = .badGateway
            head.headers.replaceOrAdd(name: "content-length", value: "0")
            head.headers.replaceOrAdd(name: "cache-control", value: "no-store")
            for name in ["content-range", "etag", "content-type"] { head.headers.remove(name: name) }
        }
    }
}

/// Hummingbird's HTTP/1 channel with a ``RegionSender`` under its codec, ``ConnectionState`` in place of
/// Hummingbird's connection-state handler (the same idle and shutdown rules), and, unless the configuration
/// turns them off, a ``DirectFragmentResponder`` in front of its router and a ``RawRequestReader`` in front of
/// NIO's HTTP/1 parser.
struct RegionSendingHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel
    let logger: Logger
    let origin: SmoothOrigin

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (senderLogger, origin) = (self.logger, self.origin)
        let idleTimeout = origin.configuration.idleTimeout.map(OriginServer.timeAmount)
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: FileRegions.waterMark)
            let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
            let sender = RegionSender(logger: senderLogger, sent: origin.regionsSent)
            try pipeline.addHandler(sender, position: .after(encoder))
            let hummingbirdState = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            let state = ConnectionState(idleTimeout: idleTimeout)
            try pipeline.addHandler(state, position: .after(hummingbirdState))
            pipeline.removeHandler(hummingbirdState, promise: nil)
            if origin.configuration.answerCachedFragmentsDirectly {
                try pipeline.addHandler(
                    DirectFragmentResponder(origin: origin, sender: sender, logger: senderLogger),
                    position: .after(state))
                if origin.configuration.readSimpleRequestsDirectly {
                    try pipeline.addHandler(
                        RawRequestReader(origin: origin, mailbox: sender.mailbox, state: state, logger: senderLogger),
                        position: .first)
                }
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
