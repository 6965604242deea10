internal import HTTPTypes
internal import NIOCore
internal import NIOHTTP1

/// The status line and header lines of a whole `200` answer for one payload, up to `Date`: what
/// ``RawRequestReader`` writes for a `GET` without `Range` or `If-None-Match`, the commonest request a player
/// makes, with only `Date`, `Server` and the empty line appended per request.
///
/// Made from the same code as every other answer (``PayloadResponder/head(of:ifNoneMatch:range:)``, then
/// ``OriginCORSMiddleware/decorate(_:allowOrigin:)``) and written by the same ``write(status:headers:into:)``,
/// so the bytes are those the answer built per request would have: they are made once when
/// ``SmoothOrigin/directFragment(target:)`` or ``SmoothOrigin/directFile(target:)`` remember a target, instead of
/// building, checking and writing ten header fields for each request (measured in `docs/benchmarks.md`).
struct PreparedHead: Sendable {
    /// `HTTP/1.1 200 OK\r\n` and the header lines before `Date`, each ending in CRLF.
    let bytes: ByteBuffer
    /// The lines after `Date` (`Server`, when the origin names itself).
    let afterDate: ByteBuffer

    init(_ payload: Payload, corsOrigin: String, serverName: String?) {
        var head = PayloadResponder.head(of: payload, ifNoneMatch: nil, range: nil).headers
        OriginCORSMiddleware.decorate(&head, allowOrigin: corsOrigin)
        var out = ByteBuffer()
        out.reserveCapacity(384)
        Self.write(status: .ok, headers: head, into: &out)
        bytes = out
        var tail = HTTPFields()
        if let serverName { tail[.server] = serverName }
        var after = ByteBuffer()
        Self.write(status: .ok, headers: tail, into: &after, statusLine: false)
        afterDate = after
    }

    /// The whole head, `date` (``HTTPDate/now()``) put in its place: what
    /// ``DirectFragmentResponder/answer(origin:isHead:target:ifNoneMatch:range:logger:admit:usePrepared:)`` would
    /// have had written for a whole `200`, with the empty line that ends it.
    func write(date: String, into out: inout ByteBuffer) {
        out.writeImmutableBuffer(bytes)
        out.writeStaticString("Date: ")
        out.writeString(date)
        out.writeStaticString("\r\n")
        out.writeImmutableBuffer(afterDate)
        out.writeStaticString("\r\n")
    }

    /// A status line and header lines as NIO's HTTP/1 encoder writes them: NIO's reason phrase, each field's
    /// name as given, no `Content-Length` or `Transfer-Encoding` on a `304` (a body-less status). The empty line
    /// that ends the head is the caller's.
    /// `statusLine` false writes the header lines only (after a prepared head).
    static func write(
        status: HTTPResponse.Status, headers: HTTPFields, into out: inout ByteBuffer, statusLine: Bool = true
    ) {
        let hasBody = status != .notModified
        if statusLine {
            out.writeStaticString("HTTP/1.1 ")
            out.writeString(String(status.code))
            out.writeStaticString(" ")
            out.writeString(HTTPResponseStatus(statusCode: status.code).reasonPhrase)
            out.writeStaticString("\r\n")
        }
        for field in headers {
            if !hasBody, field.name == .contentLength || field.name == .transferEncoding { continue }
            out.writeString(field.name.rawName)
            out.writeStaticString(": ")
            out.writeString(field.value)
            out.writeStaticString("\r\n")
        }
    }
}
