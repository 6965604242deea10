import Foundation
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Planning
import ServiceLifecycle
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// Presentations encoded once per test run from every clip in `testmedia/` with the `fast` profile, through
/// the `SmoothPack` library (no prebuilt binary needed), plus one per-title ladder of an easy generated clip
/// (every `testmedia/` clip is hard enough to keep the fixed ladder), so every player test also plays a
/// capped-CRF ladder whose manifests declare the bitrates produced.
enum Fixture {
    struct Encoded: Sendable {
        /// The `--out` folder: `<stem>/<version>/…` plus the policy files.
        let root: URL
        let presentations: [Presentation]
    }

    static let encoded: Task<Encoded, any Error> = Task {
        let root = try TestPaths.temporaryDirectory("origin-fixture")
        let packager = try Packager(profile: .named("fast"))
        var out: [Presentation] = []
        for name in TestPaths.allTestMedia {
            let source = URL(fileURLWithPath: TestPaths.testMedia(name))
            out.append(try await packager.encode(source: source, into: root))
        }
        let easy = root.deletingLastPathComponent().appendingPathComponent("\(root.lastPathComponent)-easy.mp4")
        let made = try External.run([
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "smptehdbars=size=640x360:rate=25:duration=5",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=5",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", "-c:a", "aac", easy.path,
        ])
        guard made.status == 0 else { throw ExternalToolError(message: "ffmpeg: \(made.stderr)") }
        var options = PackagerOptions()
        options.ladder = .perTitle
        out.append(try await Packager(profile: .named("fast"), options: options).encode(source: easy, into: root))
        return Encoded(root: root, presentations: out)
    }

    static func shared() async throws -> Encoded { try await encoded.value }

    /// The `.ism` path of a presentation relative to the fixture root, e.g. `clip/1a2b/clip.ism`.
    static func ismPath(_ p: Presentation) -> String { "\(p.prefix)\(p.name).ism" }

    /// The targets of every fragment its `.ismc` lists: `/<ism>/QualityLevels(B)/Fragments(name=T)`.
    static func fragmentTargets(_ p: Presentation) throws -> [String] {
        let manifest = Array(try Data(contentsOf: p.directory.appendingPathComponent("\(p.name).ismc")))
        return try ClientManifest(xml: manifest).fragmentReferences().map { "/\(ismPath(p))/\($0.path)" }
    }

    /// A private copy of one presentation (plus the policy files) in a fresh root, for tests that damage files.
    static func copy(_ p: Presentation, of encoded: Encoded, label: String) throws -> URL {
        let root = try TestPaths.temporaryDirectory(label)
        let target = root.appendingPathComponent(p.prefix)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: p.directory, to: target)
        for name in StaticTreeWriter.policyFiles {
            let from = encoded.root.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: from.path) {
                try FileManager.default.copyItem(at: from, to: root.appendingPathComponent(name))
            }
        }
        return root
    }
}

/// Builders for origins and applications under test.
enum Harness {
    /// A logger that drops everything (the default of these helpers: test output stays readable).
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// An origin over `root`, revalidating on every request so tests see file changes at once.
    static func origin(
        _ root: URL, logger: Logger = Harness.quiet, configure: (inout OriginConfiguration) -> Void = { _ in }
    )
        throws -> SmoothOrigin
    {
        var c = OriginConfiguration(root: root.path, revalidateAfter: .zero)
        configure(&c)
        return try SmoothOrigin(configuration: c, logger: logger)
    }

    static func application(_ origin: SmoothOrigin, logger: Logger = Harness.quiet) -> Application<OriginResponder> {
        OriginServer.makeApplication(origin: origin, host: "127.0.0.1", port: 0, logger: logger)
    }

    /// Runs a real server for `origin` on 127.0.0.1 and a free port while `body` runs, then shuts it down.
    static func withLiveServer<R: Sendable>(
        _ origin: SmoothOrigin, logger: Logger,
        _ body: @Sendable (LiveServer) async throws -> R
    ) async throws -> R {
        let port = AsyncStream.makeStream(of: Int.self)
        let app = OriginServer.makeApplication(origin: origin, host: "127.0.0.1", port: 0, logger: logger) { _, p in
            port.continuation.yield(p)
            port.continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = port.stream.makeAsyncIterator()
            guard let p = await iterator.next() else { throw ExternalToolError(message: "server did not start") }
            do {
                let result = try await body(LiveServer(port: p))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// GETs on one raw socket (no client library between the test and the bytes).
enum RawClient {
    /// Sends each batch of targets at once (pipelined) on one connection to 127.0.0.1:`port`, reading its
    /// answers before the next batch; one `"<status> <SHA-256 of the body>"` per answer, in order.
    static func pipelined(port: Int, batches: [[String]]) async throws -> [String] {
        let script = """
            import socket, sys, hashlib, json
            port, batches = int(sys.argv[1]), json.loads(sys.argv[2])
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            f = s.makefile("rb")
            for batch in batches:
                s.sendall(b"".join(b"GET %s HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n" % u.encode() for u in batch))
                for _ in batch:
                    status = f.readline().split()[1].decode()
                    length = 0
                    while True:
                        line = f.readline()
                        if line in (b"\\r\\n", b""): break
                        k, _, v = line.decode().partition(":")
                        if k.lower() == "content-length": length = int(v)
                    print(status, hashlib.sha256(f.read(length)).hexdigest())
            """
        let json = String(decoding: try JSONEncoder().encode(batches), as: UTF8.self)
        let output = try await External.runOffPool(["python3", "-c", script, String(port), json])
        guard output.status == 0 else { throw ExternalToolError(message: "raw client: \(output.stderr)") }
        return output.stdout.split(separator: "\n").map(String.init)
    }
}

/// A server listening on 127.0.0.1.
struct LiveServer: Sendable {
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// Status of a GET sending `target` verbatim (no normalisation by the client), on a fresh connection.
    func status(_ target: String) async throws -> Int {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            Int(try await client.get(target).status.code)
        }
    }
}

/// External programs, run on a thread of their own (`External.runOffPool`) so that a blocking wait never
/// occupies the Swift concurrency pool the server under test answers from (2 cores: two blocked test tasks
/// would starve it).
enum Tools {
    /// `yt-dlp` from PATH, else the module of the `python3` on PATH (pip installs may not put scripts on PATH).
    static let ytDlp: [String] = {
        let probe = try? External.run(["yt-dlp", "--version"])
        return probe?.status == 0 ? ["yt-dlp"] : ["python3", "-m", "yt_dlp"]
    }()

    static func run(_ arguments: [String], timeoutSeconds: Int = 180) async throws -> ProcessResult {
        let command = ["timeout", "-k", "5", String(timeoutSeconds)] + arguments
        let result = try await External.runOffPool(command)
        let missingModule = arguments.starts(with: ["python3", "-m"]) && result.stderr.contains("No module named")
        if result.status == 127 || missingModule {
            throw ExternalToolError(
                message: """
                    \(arguments[0]) is not installed. The player tests need Debian's gstreamer1.0-tools \
                    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav \
                    and ffmpeg, and PyPI's yt-dlp.
                    """)
        }
        if result.status == 124 || result.status == 137 {
            throw ExternalToolError(message: "\(arguments.joined(separator: " ")) timed out after \(timeoutSeconds) s")
        }
        return result
    }
}

/// Log lines recorded in memory, through a logger at `info` (the access log level).
struct InMemoryLogHandlerBox: Sendable {
    let handler = InMemoryLogHandler()

    var logger: Logger {
        let handler = self.handler
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = .info
        return logger
    }

    /// Every message so far.
    var messages: [String] { handler.entries.map { $0.message.description } }
    /// Messages at `error`.
    var errors: [String] { handler.entries.filter { $0.level == .error }.map { $0.message.description } }
    func clear() { handler.clear() }
}
