internal import HTTPTypes
internal import NIOCore
internal import NIOHTTPTypes

/// The connection's idle timeout and graceful shutdown, in place of Hummingbird's `HTTPConnectionStateHandler`
/// (same rules), so that requests answered before NIO's HTTP parser (``RawRequestReader``) count as activity too.
///
/// - A request is in progress from its head until its response's end has been written.
/// - Activity is a request part read, a response's end written, or ``answeredDirectly()``. A connection with no
///   request in progress (or one still reading a request) whose last activity is ``idleTimeout`` old is
///   closed; one whose response is being written is never cut.
/// - On graceful shutdown (`ChannelShouldQuiesceEvent`) an idle connection closes at once, a busy one after the
///   response that brings it back to none in progress.
final class ConnectionState: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let idleTimeout: TimeAmount?
    /// Requests read by NIO's parser whose response's end has not been written yet.
    private(set) var requestsInProgress = 0
    /// A request head was read and its end not yet.
    private(set) var readingRequest = false
    private var lastActivity = NIODeadline.now()
    private var active = false
    private var closeAfterLastResponse = false
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount?) {
        self.idleTimeout = idleTimeout
    }

    /// Nothing read by NIO's parser is waiting for its answer, so an answer written now is in request order.
    var isIdle: Bool { requestsInProgress == 0 && !readingRequest && !closeAfterLastResponse }

    /// A request was answered without NIO's parser: it counts as activity.
    func answeredDirectly() { lastActivity = .now() }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { becameActive(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            requestsInProgress += 1
        case .body:
            break
        case .end:
            readingRequest = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            // The answer to a request the parser could not read (a 400 for a malformed head) ends a response
            // no head was counted for: it leaves none in progress, not minus one.
            requestsInProgress = max(0, requestsInProgress - 1)
            if requestsInProgress == 0 {
                if closeAfterLastResponse {
                    context.writeAndFlush(data, promise: promise)
                    context.close(promise: nil)
                    return
                }
                lastActivity = .now()
                schedule(context)
            }
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if requestsInProgress > 0 {
            closeAfterLastResponse = true
        } else {
            context.close(promise: nil)
        }
    }

    private func becameActive(_ context: ChannelHandlerContext) {
        guard !active else { return }
        active = true
        lastActivity = .now()
        schedule(context)
    }

    private func schedule(_ context: ChannelHandlerContext) {
        guard let idleTimeout, active, timer == nil else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastActivity + idleTimeout) {
            self.timer = nil
            self.timeout(context)
        }
    }

    private func timeout(_ context: ChannelHandlerContext) {
        guard let idleTimeout, active else { return }
        // A response is being written: the timer starts again when it ends.
        if requestsInProgress > 0, !readingRequest { return }
        if NIODeadline.now() >= lastActivity + idleTimeout {
            context.close(promise: nil)
        } else {
            schedule(context)
        }
    }
}
