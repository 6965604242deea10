import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import Origin

/// ``ConnectionState``'s count of requests in progress, on which answering ahead of the parser
/// (``ConnectionState/isIdle``) and graceful shutdown depend.
@Suite struct ConnectionStateTests {
    static let request = HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/x")

    @Test func countsFromHeadToResponseEnd() throws {
        let state = ConnectionState(idleTimeout: nil)
        let channel = EmbeddedChannel(handler: state)
        defer { _ = try? channel.finish() }
        #expect(state.isIdle)
        try channel.writeInbound(HTTPRequestPart.head(Self.request))
        #expect(state.requestsInProgress == 1 && state.readingRequest && !state.isIdle)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(!state.readingRequest && !state.isIdle)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        #expect(!state.isIdle)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(state.requestsInProgress == 0 && state.isIdle)
    }

    /// NIO answers a head it cannot parse with a 400 that no request head was counted for.
    @Test func anAnswerWithoutARequestLeavesNoneInProgress() throws {
        let state = ConnectionState(idleTimeout: nil)
        let channel = EmbeddedChannel(handler: state)
        defer { _ = try? channel.finish() }
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .badRequest)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(state.requestsInProgress == 0)
        #expect(state.isIdle)
        try channel.writeInbound(HTTPRequestPart.head(Self.request))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        #expect(state.requestsInProgress == 1)
    }

    @Test func quiescingClosesAfterTheLastResponse() throws {
        let state = ConnectionState(idleTimeout: nil)
        let channel = EmbeddedChannel(handler: state)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(HTTPRequestPart.head(Self.request))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive && !state.isIdle)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }
}
