import Foundation
import Logging
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// Requests read from the connection's bytes before NIO's parser (``RawRequestReader``): what is framed there,
/// that the answers are the bytes NIO's encoder writes for the same answer, and that such answers keep a
/// connection alive against the idle timeout.
@Suite struct RawRequestTests {
    static func parse(_ text: String) -> RawRequestHead.Parse {
        Array(text.utf8).withUnsafeBytes { RawRequestHead.parse($0) }
    }

    static func head(_ text: String) -> RawRequestHead? {
        if case .request(let h) = parse(text) { return h }
        return nil
    }

    @Test func simpleRequestsAreFramedAndTheirFieldsRead() throws {
        let text = "GET /a/b.ism/QualityLevels(1)/Fragments(video=0)?x=1 HTTP/1.1\r\nHost: h\r\n"
            + "RANGE:  bytes=0-99 \r\nIf-None-Match: \"e\"\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
        let h = try #require(Self.head(text + "GET /next HTTP/1.1\r\n"))
        #expect(h.answerable && !h.isHead)
        #expect(h.target == "/a/b.ism/QualityLevels(1)/Fragments(video=0)?x=1")
        #expect(h.range == "bytes=0-99" && h.ifNoneMatch == "\"e\"")
        #expect(h.length == text.utf8.count, "the next request starts right after the empty line")
        #expect(Self.head("HEAD / HTTP/1.1\r\n\r\n") == RawRequestHead(
            answerable: true, isHead: true, lastOnConnection: false, target: "/", range: nil, ifNoneMatch: nil, length: 19))
    }

    /// Framed (no body), but for the router: it decides what they mean.
    @Test(arguments: [
        "GET / HTTP/1.0\r\n\r\n",
        "POST / HTTP/1.1\r\n\r\n",
        "OPTIONS / HTTP/1.1\r\nOrigin: x\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: Close\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: h2c\r\n\r\n",
        "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nRange: bytes=0-1\r\nrange: bytes=2-3\r\n\r\n",
        "GET / HTTP/1.1\r\nIf-None-Match: \"a\"\r\nIf-None-Match: \"b\"\r\n\r\n",
    ])
    func framedButForTheRouter(text: String) throws {
        let h = try #require(Self.head(text), "\(text)")
        #expect(!h.answerable, "\(text)")
        #expect(h.length == text.utf8.count)
        #expect(h.lastOnConnection == (text.contains("HTTP/1.0") || text.contains("Close")), "\(text)")
    }

    /// Anything that is not plainly body-less and well-formed goes to NIO's parser for the rest of the connection.
    @Test(arguments: [
        "GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "GET / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",  // folded line
        "GET / HTTP/1.1\nHost: a\n\n",  // bare LF
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
        "GET / HTTP/1.1\r\n: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\u{0}\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "get / HTTP/1.1\r\n\r\n",
        "GET http://h/ HTTP/1.1\r\n\r\n",
        "GET /a\u{7F} HTTP/1.1\r\n\r\n",
        "GET /ä HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "\r\nGET / HTTP/1.1\r\n\r\n",
    ])
    func unknownFramingHandsOver(text: String) {
        #expect(Self.parse(text) == .unknownFraming, "\(text.debugDescription)")
    }

    @Test func partialHeadsWaitAndLongOnesHandOver() {
        let whole = "GET /x HTTP/1.1\r\nRange: bytes=1-2\r\n\r\n"
        for n in 0..<whole.utf8.count {
            #expect(Self.parse(String(whole.utf8.prefix(n))!) == .incomplete, "\(n) bytes")
        }
        let long = "GET /x HTTP/1.1\r\nX-A: " + String(repeating: "a", count: RawRequestHead.maximumLength)
        #expect(Self.parse(long) == .unknownFraming)
        #expect(Self.parse(String(long.utf8.prefix(RawRequestHead.maximumLength - 1))!) == .incomplete)
    }

    /// The same requests, on one connection each way, to a server reading them before NIO's parser and to one
    /// that leaves them to the parser (answered by ``DirectFragmentResponder`` then): the same bytes, `Date`
    /// aside, for fragments and byte ranges of media files, whole, in ranges, `HEAD`, `If-None-Match`
    /// matching, unsatisfiable ranges, and requests the router answers in between; with the default CORS origin
    /// and server name, and with a named origin (`Vary: Origin`) and no `Server` (the heads of whole answers are
    /// prepared once per target: ``PreparedHead``).
    @Test(arguments: [("*", "smoothpack"), ("https://player.example", nil)] as [(String, String?)])
    func answersAreTheBytesNIOsEncoderWrites(cors: String, serverName: String?) async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first)
        let media = try FileManager.default.contentsOfDirectory(atPath: p.directory.path)
            .filter { $0.hasSuffix(".ismv") || $0.hasSuffix(".isma") }.sorted().map { "/\(p.prefix)\($0)" }
        let fragments = try Fixture.fragmentTargets(p)
        var requests: [String] = []
        for uri in Array(media.prefix(2)) + Array(fragments.prefix(6)) + [fragments[fragments.count - 1]] {
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\n\r\n")
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\n\r\n")
            requests.append("HEAD \(uri) HTTP/1.1\r\nHost: t\r\n\r\n")
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\nRange: bytes=3-20000\r\n\r\n")
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\nrange: bytes=-100\r\n\r\n")
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\nRange: bytes=999999999-\r\n\r\n")
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\nIf-None-Match: ETAG\r\n\r\n")
            requests.append("GET \(uri) HTTP/1.1\r\nHost: t\r\nConnection: keep-alive\r\nIf-None-Match: \"x\"\r\n\r\n")
            requests.append("GET /\(Fixture.ismPath(p))/Manifest HTTP/1.1\r\nHost: t\r\n\r\n")
        }
        let all = requests
        func exchange(raw: Bool) async throws -> (lines: [String], origin: SmoothOrigin) {
            let origin = try Harness.origin(fx.root) {
                $0.revalidateAfter = .seconds(3600)
                $0.readSimpleRequestsDirectly = raw
                $0.corsOrigin = cors
                $0.serverName = serverName
            }
            let lines = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
                try await RawClient.exchange(port: server.port, requests: all)
            }
            return (lines, origin)
        }
        let parsed = try await exchange(raw: false)
        let read = try await exchange(raw: true)
        #expect(parsed.origin.rawAnswers.value == 0 && parsed.origin.preparedAnswers.value == 0)
        // The second GET of each media file and fragment (the first one remembers the target).
        #expect(read.origin.preparedAnswers.value >= 9)
        #expect(read.origin.rawAnswers.value >= requests.count / 2, "most requests were read before the parser")
        #expect(parsed.origin.directAnswers.value == read.origin.directAnswers.value)
        #expect(parsed.origin.regionsSent.value == read.origin.regionsSent.value)
        #expect(parsed.lines.count == requests.count)
        #expect(Set(parsed.lines.map { $0.prefix(12) }).isSuperset(of: ["HTTP/1.1 200", "HTTP/1.1 206", "HTTP/1.1 304",
            "HTTP/1.1 416"]))
        for (i, (a, b)) in zip(parsed.lines, read.lines).enumerated() {
            #expect(a == b, "\(requests[i].debugDescription)")
        }
        let heads = read.lines.joined(separator: "\n")
        #expect(heads.contains("Vary: Origin") == (cors != "*"))
        #expect(heads.contains("Server: smoothpack") == (serverName != nil))
    }

    /// Answers read before the parser count as activity: a connection asking for a fragment every 0.2 s
    /// outlives the idle timeout (2 s) twice over on the same socket (20 requests, however long a busy machine
    /// takes for them), and is closed once it stops asking, not before the timeout (no upper bound on a loaded
    /// machine: the close only has to come).
    @Test func rawAnswersKeepTheConnectionAliveAndIdleOnesStillClose() async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first)
        let fragment = try #require(try Fixture.fragmentTargets(p).first)
        let origin = try Harness.origin(fx.root) {
            $0.revalidateAfter = .seconds(3600)
            $0.idleTimeout = .seconds(2)
        }
        let request = Array("GET \(fragment) HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
        try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            let port = server.port
            let (answered, closedAfter) = try await offPool { () throws -> (Int, Double?) in
                let c = try RawConnection(port: port, timeout: 10)
                defer { c.abortOnClose() }
                var reader = ResponseReader(c)
                var answered = 0
                for i in 0..<20 {
                    if i > 0 { Thread.sleep(forTimeInterval: 0.2) }
                    guard c.send(request), case .response(let r) = reader.next(), r.status == 200 else { break }
                    answered += 1
                }
                let quiet = Date()
                return (answered, c.waitForServerClose(seconds: 60) ? Date().timeIntervalSince(quiet) : nil)
            }
            #expect(answered == 20, "every request on the one connection was answered (\(answered) of 20)")
            let seconds = try #require(closedAfter, "still open 60 s after the last request")
            // The server's idle clock starts when it writes the last answer, a little before the client reads it.
            #expect(seconds > 1, "closed \(seconds) s after the last answer, before the 2 s idle timeout")
        }
        #expect(origin.rawAnswers.value > 10, "the answers were read before the parser")
    }
}

extension RawRequestTests {
    final class Held: @unchecked Sendable {
        let connection: RawConnection
        init(_ c: RawConnection) { connection = c }
    }

    /// Graceful shutdown (SIGTERM in `serve`) closes a keep-alive connection whose answers were all read ahead of
    /// the parser at once, instead of waiting for its idle timeout (30 s): ``ConnectionState`` sees no request in
    /// progress.
    @Test func shutdownClosesAConnectionAnsweredAheadOfTheParser() async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first)
        let fragment = try #require(try Fixture.fragmentTargets(p).first)
        let origin = try Harness.origin(fx.root) { $0.revalidateAfter = .seconds(3600) }
        let request = Array("GET \(fragment) HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
        let started = ContinuousClock.now
        let held = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            let port = server.port
            return try await offPool { () throws -> Held in
                let c = try RawConnection(port: port, timeout: 10)
                var reader = ResponseReader(c)
                for _ in 0..<3 {
                    guard c.send(request), case .response(let r) = reader.next(), r.status == 200 else { break }
                }
                return Held(c)
            }
        }
        let stopped = ContinuousClock.now - started
        #expect(origin.rawAnswers.value >= 1, "the connection's last answers were read ahead of the parser")
        #expect(held.connection.waitForServerClose(seconds: 2), "the server closed the connection as it stopped")
        #expect(stopped < .seconds(25), "the stop did not wait for the idle timeout (took \(stopped))")
    }
}

extension RawClient {
    /// Sends each request on one connection, reading its answer before the next; for each answer its head
    /// without the `Date` line and the SHA-256 of its body (none after `HEAD` or a 304). `ETAG` in a request is
    /// replaced by the last `ETag` received.
    static func exchange(port: Int, requests: [String]) async throws -> [String] {
        let script = """
            import socket, sys, hashlib, json
            port, requests = int(sys.argv[1]), json.loads(sys.argv[2])
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            f = s.makefile("rb")
            etag = "none"
            for r in requests:
                s.sendall(r.replace("ETAG", etag).encode())
                lines, length = [], 0
                while True:
                    line = f.readline()
                    if line in (b"\\r\\n", b""): break
                    k, _, v = line.decode().partition(":")
                    if k.lower() == "content-length": length = int(v)
                    if k.lower() == "etag": etag = v.strip()
                    if k.lower() != "date": lines.append(line.decode())
                if r.startswith("HEAD") or lines[0].split()[1] == "304": length = 0
                print(json.dumps("".join(lines) + hashlib.sha256(f.read(length)).hexdigest()))
            """
        let json = String(decoding: try JSONEncoder().encode(requests), as: UTF8.self)
        let output = try await External.runOffPool(["python3", "-c", script, String(port), json])
        guard output.status == 0 else { throw ExternalToolError(message: "raw client: \(output.stderr)") }
        return try output.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(String.self, from: Data($0.utf8))
        }
    }
}
