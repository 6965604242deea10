public import Hummingbird
internal import HummingbirdCore
public import Logging
internal import NIOCore

/// Builds the Hummingbird application of `smoothpack serve`. Run it as a `Service` in a `ServiceGroup`
/// (graceful shutdown on SIGTERM/SIGINT: the listener closes, requests in flight finish). Connections idle
/// for ``OriginConfiguration/idleTimeout`` (including ones stalled mid-request) are closed.
public enum OriginServer {
    /// The application serving `origin` on `host:port` (`port` 0 picks a free one). `onRunning` is called
    /// once the socket listens, with the bound address and port.
    public static func makeApplication(
        origin: SmoothOrigin, host: String = "127.0.0.1", port: Int = 8080, logger: Logger,
        onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) -> Application<OriginResponder> {
        Application(
            responder: OriginResponder(origin: origin, logger: logger),
            server: HTTPServerBuilder { responder in
                RegionSendingHTTP1Channel(
                    http1: HTTP1Channel(
                        responder: responder,
                        configuration: .init(idleTimeout: origin.configuration.idleTimeout.map(timeAmount))),
                    logger: logger, origin: origin)
            },
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                serverName: origin.configuration.serverName),
            onServerRunning: { channel in
                let address = channel.localAddress
                await onRunning(address?.ipAddress ?? host, address?.port ?? port)
            },
            logger: logger)
    }

    /// `d` as NIO's `TimeAmount`, clamped to 0...10⁹ s (no overflow for absurd configurations).
    static func timeAmount(_ d: Duration) -> TimeAmount {
        let (seconds, attoseconds) = d.components
        guard seconds >= 0, attoseconds >= 0 else { return .zero }
        return .nanoseconds(min(seconds, 1_000_000_000) * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
