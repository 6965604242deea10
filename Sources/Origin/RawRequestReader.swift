#if canImport(Glibc)
internal import Glibc
#endif
internal import HTTPTypes
internal import Logging
internal import NIOCore
internal import NIOHTTP1

/// One request head read from a connection's bytes, when it is simple enough to frame without NIO's parser.
///
/// Simple means: a method of upper-case letters, an origin-form target of visible ASCII, `HTTP/1.1` or
/// `HTTP/1.0`, header lines `name: value` ending in CRLF with RFC 9110 token names and no control characters,
/// no `Transfer-Encoding`, and no `Content-Length` other than `0`. Such a request has no body (RFC 9112 §6.3), so
/// the next request starts right after its empty line. Anything else ends the reading of raw bytes for the rest
/// of the connection (``RawRequestHead/Parse/unknownFraming``): NIO's parser frames it and decides what it is.
struct RawRequestHead: Equatable {
    /// `GET` or `HEAD` over HTTP/1.1, with nothing that needs the router (``answerable``).
    var answerable: Bool
    var isHead: Bool
    /// `Connection: close`, or HTTP/1.0 (whose connections close unless asked otherwise): the router answers
    /// and may close the connection; nothing after it is read here.
    var lastOnConnection = false
    var target: String
    var range: String?
    var ifNoneMatch: String?
    /// Bytes of the head, its empty line included.
    var length: Int

    enum Parse: Equatable {
        /// No empty line yet, and the bytes so far are within ``RawRequestHead/maximumLength``.
        case incomplete
        case request(RawRequestHead)
        /// Not simple (see the type's documentation), or longer than ``RawRequestHead/maximumLength``.
        case unknownFraming
    }

    /// Longest head read here (nginx's default `large_client_header_buffers` is 8 KiB); longer ones go to NIO's
    /// parser, which applies the server's limits.
    static let maximumLength = 8 << 10

    /// Reads the head at the start of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Parse {
        let limit = min(bytes.count, maximumLength)
        var i = 0
        // Request line: METHOD SP target SP HTTP/1.x CRLF
        while i < limit, bytes[i] >= UInt8(ascii: "A"), bytes[i] <= UInt8(ascii: "Z") { i += 1 }
        guard i < limit else { return bytes.count >= maximumLength ? .unknownFraming : .incomplete }
        let methodEnd = i
        guard methodEnd > 0, bytes[i] == UInt8(ascii: " ") else { return .unknownFraming }
        i += 1
        let targetStart = i
        while i < limit, bytes[i] > 0x20, bytes[i] < 0x7F { i += 1 }
        guard i < limit else { return bytes.count >= maximumLength ? .unknownFraming : .incomplete }
        let targetEnd = i
        guard targetEnd > targetStart, bytes[targetStart] == UInt8(ascii: "/"), bytes[i] == UInt8(ascii: " ")
        else { return .unknownFraming }
        i += 1
        let version = "HTTP/1.1\r\n".utf8
        guard i + version.count <= limit else {
            return bytes.count >= maximumLength ? .unknownFraming : .incomplete
        }
        var http11 = true
        for (k, byte) in version.enumerated() where bytes[i + k] != byte {
            // HTTP/1.0 frames the same way; it goes to the router (keep-alive rules differ).
            guard k == 7, bytes[i + k] == UInt8(ascii: "0") else { return .unknownFraming }
            http11 = false
        }
        i += version.count
        let method = UnsafeRawBufferPointer(rebasing: bytes[0..<methodEnd])
        let isGet = method.elementsEqual("GET".utf8)
        let isHead = !isGet && method.elementsEqual("HEAD".utf8)
        var head = RawRequestHead(
            answerable: http11 && (isGet || isHead), isHead: isHead, lastOnConnection: !http11,
            target: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<targetEnd]), as: UTF8.self),
            range: nil, ifNoneMatch: nil, length: 0)
        var sawLength = false
        // Header lines, then the empty line.
        while true {
            guard i + 2 <= limit else { return bytes.count >= maximumLength ? .unknownFraming : .incomplete }
            if bytes[i] == UInt8(ascii: "\r") {
                guard bytes[i + 1] == UInt8(ascii: "\n") else { return .unknownFraming }
                head.length = i + 2
                return .request(head)
            }
            let nameStart = i
            while i < limit, Self.isTokenByte(bytes[i]) { i += 1 }
            guard i < limit else { return bytes.count >= maximumLength ? .unknownFraming : .incomplete }
            // No name (a folded line starts with a space), or no colon right after it.
            guard i > nameStart, bytes[i] == UInt8(ascii: ":") else { return .unknownFraming }
            let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<i])
            i += 1
            while i < limit, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
            let valueStart = i
            while i < limit, bytes[i] >= 0x20 && bytes[i] != 0x7F || bytes[i] == UInt8(ascii: "\t") { i += 1 }
            guard i + 1 < limit else { return bytes.count >= maximumLength ? .unknownFraming : .incomplete }
            guard bytes[i] == UInt8(ascii: "\r"), bytes[i + 1] == UInt8(ascii: "\n") else { return .unknownFraming }
            var valueEnd = i
            while valueEnd > valueStart, bytes[valueEnd - 1] == UInt8(ascii: " ") || bytes[valueEnd - 1] == 9 {
                valueEnd -= 1
            }
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            i += 2
            switch name.count {
            case 5 where Self.equalsLowercased(name, "range"):
                if head.range != nil { head.answerable = false }
                head.range = String(decoding: value, as: UTF8.self)
            case 13 where Self.equalsLowercased(name, "if-none-match"):
                if head.ifNoneMatch != nil { head.answerable = false }
                head.ifNoneMatch = String(decoding: value, as: UTF8.self)
            case 14 where Self.equalsLowercased(name, "content-length"):
                guard !sawLength, value.elementsEqual("0".utf8) else { return .unknownFraming }
                sawLength = true
            case 17 where Self.equalsLowercased(name, "transfer-encoding"):
                return .unknownFraming
            case 10 where Self.equalsLowercased(name, "connection"):
                // `close` (the router answers and closes) or `upgrade`: the router's.
                let text = String(decoding: value, as: UTF8.self).lowercased()
                if text.contains("close") || text.contains("upgrade") { head.answerable = false }
                if text.contains("close") { head.lastOnConnection = true }
            case 7 where Self.equalsLowercased(name, "upgrade"), 6 where Self.equalsLowercased(name, "expect"):
                head.answerable = false
            default:
                break
            }
        }
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// `bytes`, ASCII letters lower-cased, equal `lowercased`.
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        let other = lowercased.utf8Start
        for k in 0..<bytes.count {
            var b = bytes[k]
            if b >= UInt8(ascii: "A"), b <= UInt8(ascii: "Z") { b |= 0x20 }
            if b != other[k] { return false }
        }
        return true
    }
}

/// Reads a connection's requests from its bytes, ahead of NIO's HTTP/1 parser, and answers the ones players
/// make most (fragments and byte ranges ``DirectFragmentResponder`` would answer from memory) with bytes it
/// writes itself: no parser, no conversion to HTTP types, no trip down the pipeline through four handlers and
/// NIO's encoder. `perf` of `serve` under load put those at about half of the server's user-space CPU.
///
/// It keeps to what the rest of the pipeline would have done:
/// - only heads ``RawRequestHead`` can frame are read here; at the first other one (or one that may end the
///   connection: `Connection: close`, HTTP/1.0), every byte from there on goes to NIO's parser for the rest of the
///   connection;
/// - a request is answered here only when nothing handed to the parser is still unanswered
///   (``ConnectionState/isIdle``), the connection is writable and not shutting down, so answers stay in request
///   order and a client that does not read meets the router's back-pressure; every other complete request is
///   handed to the parser on its own, so the parser is always between requests when this reader takes over;
/// - the answer is ``DirectFragmentResponder/answer(origin:isHead:target:ifNoneMatch:range:logger:admit:)``, its
///   head written as NIO's encoder writes it (status line with NIO's reason phrase, the fields' names as given,
///   no `Content-Length` on a 304), its body a file region or the cache's bytes; the access log line is the same;
/// - each answer counts as activity for ``ConnectionState``'s idle timeout.
final class RawRequestReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = IOData

    private let origin: SmoothOrigin
    private let mailbox: RegionMailbox
    private let state: ConnectionState
    private let logger: Logger
    /// The bytes of a request head not complete yet.
    private var pending: ByteBuffer?
    /// Everything goes to NIO's parser from now on.
    private var handingOver = false
    private var quiescing = false
    private var unflushed = false
    /// A head and its file region are among the unflushed writes (see ``cork``).
    private var regionUnflushed = false

    init(origin: SmoothOrigin, mailbox: RegionMailbox, state: ConnectionState, logger: Logger) {
        self.origin = origin
        self.mailbox = mailbox
        self.state = state
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if handingOver {
            context.fireChannelRead(data)
            return
        }
        var bytes = unwrapInboundIn(data)
        if var held = pending {
            pending = nil
            held.writeImmutableBuffer(bytes)
            bytes = held
        }
        while bytes.readableBytes > 0 {
            switch bytes.withUnsafeReadableBytes({ RawRequestHead.parse($0) }) {
            case .incomplete:
                pending = bytes
                return
            case .unknownFraming:
                handingOver = true
                context.fireChannelRead(wrapInboundOut(bytes))
                return
            case .request(let head):
                if head.answerable, answer(head, context: context) {
                    bytes.moveReaderIndex(forwardBy: head.length)
                    continue
                }
                if head.lastOnConnection {
                    handingOver = true
                    context.fireChannelRead(wrapInboundOut(bytes))
                    return
                }
                context.fireChannelRead(wrapInboundOut(bytes.readSlice(length: head.length)!))
            }
        }
    }

    /// `TCP_CORK`: set around the flush of the answers written for one read when one of them has a file region
    /// for its body, so each head leaves in the same segment as the start of its body instead of a small segment
    /// of its own (as nginx's `tcp_nopush`); cleared right after, which sends what is left at once. Measured
    /// (paired rounds, `docs/benchmarks.md`): 1.08–1.15x the requests per second, 1.07x the server's CPU per
    /// request (two `setsockopt` calls per flush) on a machine where the client shares the cores.
    static let cork = ChannelOptions.Types.SocketOption(
        level: NIOBSDSocket.OptionLevel(rawValue: CInt(IPPROTO_TCP)),
        name: NIOBSDSocket.Option(rawValue: CInt(TCP_CORK)))

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            if regionUnflushed {
                regionUnflushed = false
                let options = context.channel.syncOptions
                try? options?.setOption(Self.cork, value: 1)
                context.flush()
                try? options?.setOption(Self.cork, value: 0)
            } else {
                context.flush()  // heads with their bodies in one buffer
            }
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { quiescing = true }
        if case ChannelEvent.inputClosed = event { handOverPending(context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        handOverPending(context)
        context.fireChannelInactive()
    }

    /// A partial head left when the client stops sending is NIO's parser's to judge, as before this reader.
    private func handOverPending(_ context: ChannelHandlerContext) {
        handingOver = true
        if let held = pending {
            pending = nil
            context.fireChannelRead(wrapInboundOut(held))
        }
    }

    /// Writes the answer to `head` if it can be answered here now.
    private func answer(_ head: RawRequestHead, context: ChannelHandlerContext) -> Bool {
        guard !quiescing, state.isIdle, context.channel.isWritable,
            let answer = DirectFragmentResponder.answer(
                origin: origin, isHead: head.isHead, target: head.target, ifNoneMatch: head.ifNoneMatch,
                range: head.range, logger: logger, admit: mailbox.admit, usePrepared: true)
        else { return false }
        var out: ByteBuffer
        if let prepared = answer.prepared {
            out = context.channel.allocator.buffer(capacity: prepared.bytes.readableBytes + 96)
            prepared.write(date: answer.date, into: &out)
            origin.preparedAnswers.add()
        } else {
            out = context.channel.allocator.buffer(capacity: 512)
            PreparedHead.write(status: answer.status, headers: answer.headers, into: &out)
            out.writeStaticString("\r\n")
        }
        switch answer.body {
        case .none:
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
        case .bytes(var body):
            out.writeBuffer(&body)
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
        case .region(let region):
            context.write(wrapOutboundOut(.byteBuffer(out)), promise: nil)
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: region.descriptor)
            let file = FileRegion(
                fileHandle: handle, readerIndex: Int(region.range.lowerBound), endIndex: Int(region.range.upperBound))
            let mailbox = self.mailbox
            origin.regionsSent.add()
            regionUnflushed = true
            context.write(wrapOutboundOut(.fileRegion(file))).whenComplete { _ in
                try? handle.close()
                mailbox.closed()
            }
        }
        unflushed = true
        origin.rawAnswers.add()
        state.answeredDirectly()
        if let line = answer.log { logger.info("\(line)") }
        return true
    }
}
