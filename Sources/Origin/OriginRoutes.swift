internal import HTTPTypes
public import Hummingbird
public import Logging
internal import NIOCore

/// The origin's Hummingbird router: one route per Smooth Streaming URL form, the static-file fallback, and
/// the middleware every answer passes through.
///
/// Routes (GET and HEAD, at the root or below any folders; `**` is Hummingbird's recursive wildcard):
/// - `…/{stem}.ism/Manifest` → ``SmoothOrigin/manifest(_:)``
/// - `…/{stem}.ism/QualityLevels(*/Fragments(*` and `…/FragmentInfo(*` → ``SmoothOrigin/fragment(_:)``
/// - anything else falls through to ``StaticFallbackMiddleware`` → ``SmoothOrigin/any(_:)``: a file under the
///   root, a split tree's `Manifest`/`Fragments(…)` files, or the 400/404 of a malformed Smooth form.
///
/// Each handler maps a request to a ``Payload`` (file or buffer, byte range, content type, cache headers);
/// ``PayloadResponder`` turns it into the response (ETag/304, Range 206/416, HEAD). A route is only where
/// the answer is looked for first: a handler whose path is not what its route expects (a nested `.ism`
/// segment, a split-tree folder) answers through the general resolver, so routing never changes an answer.
///
/// Middleware, outermost first: access log, CORS (headers on every response, preflight 204), statuses (the
/// target's refusal 414/400/404, 405, errors to statuses but never 500, HEAD without body), static fallback.
public enum OriginRoutes {
    /// The router for `origin`; access-log lines and unexpected failures go to `logger`.
    public static func router(origin: SmoothOrigin, logger: Logger) -> Router<OriginRequestContext> {
        let router = Router(context: OriginRequestContext.self)
        let responder = PayloadResponder(origin: origin, logger: logger)
        router.add(middleware: AccessLogMiddleware(logger: logger))
        router.add(middleware: OriginCORSMiddleware(allowOrigin: origin.configuration.corsOrigin))
        router.add(middleware: StatusMiddleware(logger: logger))
        router.add(middleware: StaticFallbackMiddleware(responder: responder))
        for folders in ["", "**/"] {
            for method in [HTTPRequest.Method.get, .head] {
                router.on(RouterPath(stringLiteral: folders + "{stem}.ism/Manifest"), method: method) {
                    request, context in
                    try await responder.response(
                        try await origin.manifest(try context.path()), for: request, regions: context.regions)
                }
                for noun in ["Fragments(*", "FragmentInfo(*"] {
                    let path = RouterPath(stringLiteral: folders + "{stem}.ism/QualityLevels(*/" + noun)
                    router.on(path, method: method) {
                        request, context in
                        try await responder.response(
                            try await origin.fragment(try context.path()), for: request, regions: context.regions)
                    }
                }
            }
        }
        return router
    }

    /// The plain-text answer of a status without content.
    static func plain(_ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: "\(status.code) \(status.reasonPhrase)\n")))
    }

    static let allowedMethods = "GET, HEAD, OPTIONS"
}

/// One `info` line per request: method, target as received (first 300 bytes), status, body bytes, time.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = OriginRequestContext
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        if logger.logLevel <= .info {
            let elapsed = ContinuousClock.now - start
            let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
            let bytes = request.method == .head ? "0" : (response.headers[.contentLength] ?? "-")
            let path = context.receivedTarget.prefix(300)
            logger.info("\(request.method.rawValue) \(path) \(response.status.code) \(bytes) \(micros)us")
        }
        return response
    }
}

/// CORS as browser players behind a CDN need it: `Access-Control-Allow-Origin` and `-Expose-Headers` on every
/// response, with or without an `Origin` header (a CDN caches one answer for every client), `Vary: Origin` for
/// a specific origin, and every `OPTIONS` answered as a preflight (204). Hummingbird's `CORSMiddleware` adds
/// its headers only when the request has an `Origin` header and answers preflights with a fixed header
/// list, so a cached answer would lack them; hence this one.
struct OriginCORSMiddleware: RouterMiddleware {
    typealias Context = OriginRequestContext
    let allowOrigin: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        if request.method == .options {
            var headers = HTTPFields()
            headers[.accessControlAllowMethods] = OriginRoutes.allowedMethods
            headers[.accessControlAllowHeaders] =
                request.headers[.accessControlRequestHeaders] ?? "Range, If-None-Match"
            headers[.accessControlMaxAge] = "86400"
            headers[.allow] = OriginRoutes.allowedMethods
            headers[.contentLength] = "0"
            response = Response(status: .noContent, headers: headers)
        } else {
            response = try await next(request, context)
        }
        Self.decorate(&response.headers, allowOrigin: allowOrigin)
        return response
    }

    /// The CORS headers every answer carries (also those of ``DirectFragmentResponder``).
    static func decorate(_ headers: inout HTTPFields, allowOrigin: String) {
        headers[.accessControlAllowOrigin] = allowOrigin
        headers[.accessControlExposeHeaders] = "Content-Length, Content-Range, ETag, Accept-Ranges"
        if allowOrigin != "*" { headers[.vary] = "Origin" }
    }
}

/// What every answer passes through after CORS: the target's refusal by ``RequestPath`` (414/400/404, whichever
/// route its raw spelling matched), methods other than `GET`/`HEAD` (405 with `Allow`; `OPTIONS` is the CORS
/// preflight, answered before this), every failure as its status (``OriginError`` by its case, Hummingbird's
/// own 404; anything else, which should not happen, 502 and logged: never 500), and `HEAD` answers without a
/// body (error answers included).
struct StatusMiddleware: RouterMiddleware {
    typealias Context = OriginRequestContext
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let response = await answer(request, context: context, next: next)
        guard request.method == .head else { return response }
        return Response(status: response.status, headers: response.headers, body: ResponseBody())
    }

    private func answer(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async -> Response {
        guard request.method == .get || request.method == .head else {
            var response = OriginRoutes.plain(.methodNotAllowed)
            response.headers[.allow] = OriginRoutes.allowedMethods
            return response
        }
        do {
            _ = try context.path()
            return try await next(request, context)
        } catch let error as OriginError {
            let status: HTTPResponse.Status =
                switch error {
                case .notFound: .notFound
                case .badRequest: .badRequest
                case .uriTooLong: .uriTooLong
                case .badGateway, .io: .badGateway
                }
            logger.debug("\(status.code): \(error)")
            return OriginRoutes.plain(status)
        } catch let error as HTTPError where error.status == .notFound {
            return OriginRoutes.plain(.notFound)
        } catch {
            logger.error("\(request.method.rawValue) \(context.receivedTarget.prefix(300)) failed: \(error)")
            return OriginRoutes.plain(.badGateway)
        }
    }
}

/// The static-file fallback: a path no route takes (Hummingbird's 404) is resolved by the general resolver —
/// a file under the root, or the answer of a Smooth form no route matched.
struct StaticFallbackMiddleware: RouterMiddleware {
    typealias Context = OriginRequestContext
    let responder: PayloadResponder

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = try context.path()
            let payload = try await responder.origin.any(path)
            if context.regions != nil { responder.origin.rememberFile(payload, target: context.receivedTarget) }
            return try await responder.response(payload, for: request, regions: context.regions)
        }
    }
}
