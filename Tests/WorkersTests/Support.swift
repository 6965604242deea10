import Foundation
import Publish
import Synchronization
import Testing
import TestSupport
@testable import Workers
#if canImport(Glibc)
import Glibc
#endif

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A throwaway PostgreSQL (scripts/pg-server: a fresh cluster on a private unix socket) for one test; starting
/// and restarting it (initdb, pg_ctl) wait on a thread of their own, not on the cooperative pool.
final class PostgresServer: Sendable {
    let directory: URL
    let url: String

    init() async throws {
        directory = try TestPaths.temporaryDirectory("pg")
        let r = try await External.runOffPool([Self.script, "start", directory.path], timeout: 300)
        guard r.status == 0 else { throw FixtureError(message: "scripts/pg-server start failed: \(r.stderr)") }
        url = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var script: String { TestPaths.repositoryRoot.appendingPathComponent("scripts/pg-server").path }

    /// Restarts the server; with `downFor`, it stays stopped that many seconds first.
    func restart(downFor seconds: Int? = nil) async throws {
        let r = try await External.runOffPool([Self.script, "restart", directory.path] + (seconds.map { ["\($0)"] } ?? []),
                                              timeout: 300)
        guard r.status == 0 else { throw FixtureError(message: "scripts/pg-server restart failed: \(r.stderr)") }
    }

    func stop() {
        _ = try? External.run([Self.script, "stop", directory.path], timeout: 120)
        try? FileManager.default.removeItem(at: directory)
    }

    /// An initialised queue.
    func queue() async throws -> JobQueue {
        let q = JobQueue(url: try QueueURL(parsing: url))
        try await q.initialise()
        return q
    }
}

/// One SeaweedFS per test process (scripts/s3-server), stopped at exit; tests use their own key prefixes.
enum S3Server {
    static let accessKey = "SMOOTHPACKTESTKEY"
    static let secretKey = "smoothpack-test-secret"
    /// The variables that point a `smoothpack` process at the test server's identity (and nothing else).
    static let credentials = ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey,
                              "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"]
    /// This process's environment with `credentials` set.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(credentials) { _, test in test }
    }
    static let bucket = "smoothpack-test"
    private static let stopDirectory = Mutex<String?>(nil)

    static let shared: Result<String, FixtureError> = {
        do {
            let dir = try TestPaths.temporaryDirectory("workers-s3")
            let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/s3-server").path
            let r = try External.run([script, "start", dir.path], timeout: 300)
            guard r.status == 0 else { return .failure(FixtureError(message: "scripts/s3-server start failed: \(r.stderr)")) }
            stopDirectory.withLock { $0 = dir.path }
            atexit {
                if let dir = S3Server.stopDirectory.withLock({ $0 }) {
                    let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/s3-server").path
                    _ = try? External.run([script, "stop", dir], timeout: 30)
                }
            }
            return .success(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            return .failure(FixtureError(message: "cannot run scripts/s3-server: \(error)"))
        }
    }()

    static func endpoint() throws -> String { try shared.get() }

    static func clients() throws -> S3Clients {
        S3Clients(configuration: S3Configuration(endpoint: try Endpoint(parsing: endpoint()), region: "us-east-1",
                                                 pathStyle: true, baseBackoffMilliseconds: 50, readTimeoutSeconds: 10),
                  credentials: AWSCredentials(accessKeyID: accessKey, secretAccessKey: secretKey))
    }

    static func prefix(_ label: String) -> String { "\(label)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func put(_ client: S3Client, key: String, file: URL) async throws {
        let bytes = try [UInt8](Data(contentsOf: file))
        let r = try await client.send("PUT", key: key, body: bytes)
        guard (200..<300).contains(r.status) else { throw FixtureError(message: "PUT \(key): HTTP \(r.status)") }
    }
}

/// Short generated clips (ffmpeg lavfi): one base encode, and byte-distinct copies of it (a different
/// metadata comment, stream-copied), so each is a different source and a different job.
enum Clips {
    static let base: Result<URL, FixtureError> = make(seconds: 2, size: "192x108", label: "short")
    static let long: Result<URL, FixtureError> = make(seconds: 40, size: "320x180", label: "long")

    /// A `testsrc2` + sine clip; `video` are the x264 options (default: a key frame every 2 s).
    static func make(seconds: Int, size: String, label: String,
                     video: [String] = ["-preset", "ultrafast", "-g", "50"]) -> Result<URL, FixtureError> {
        do {
            let dir = try TestPaths.temporaryDirectory("workers-clips")
            let out = dir.appendingPathComponent("\(label).mp4")
            let r = try External.run([
                "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "\(seconds)",
                "-c:v", "libx264"] + video + ["-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "64k", "-shortest", out.path,
            ], timeout: 600)
            guard r.status == 0 else { return .failure(FixtureError(message: "ffmpeg: \(r.stderr)")) }
            return .success(out)
        } catch {
            return .failure(FixtureError(message: "\(error)"))
        }
    }

    /// `count` distinct copies of `clip` named `<name>-<i>.mp4` in a fresh folder.
    static func variants(of clip: URL, count: Int, name: String) throws -> [URL] {
        let dir = try TestPaths.temporaryDirectory("workers-variants")
        var out: [URL] = []
        for i in 0..<count {
            let target = dir.appendingPathComponent("\(name)-\(i).mp4")
            let r = try External.run(["ffmpeg", "-v", "error", "-y", "-i", clip.path, "-map", "0", "-c", "copy",
                                      "-metadata", "comment=variant \(i) \(UUID().uuidString)", target.path], timeout: 120)
            guard r.status == 0 else { throw FixtureError(message: "ffmpeg copy: \(r.stderr)") }
            out.append(target)
        }
        return out
    }
}

/// `smoothpack worker` as a child process; its JSON log lines go to a file.
final class WorkerProcess: Sendable {
    let process: Process
    let log: URL
    let name: String

    init(name: String, queue: String, endpoint: String, scratch: URL, lease: Double = 3, extra: [String] = [],
         environment: [String: String] = [:]) throws {
        self.name = name
        log = scratch.appendingPathComponent("\(name).log")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestPaths.smoothpackBinary)
        p.arguments = ["worker", "--queue", queue, "--endpoint-url", endpoint, "--name", name,
                       "--scratch", scratch.appendingPathComponent("scratch-\(name)").path,
                       "--lease", "\(lease)", "--heartbeat", "\(lease / 6)", "--poll", "1", "--reap-interval", "0.5",
                       "--retry-delay", "0.2", "--grace", "20"] + extra
        p.environment = S3Server.environment.merging(environment) { _, override in override }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: log)
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    var pid: Int32 { process.processIdentifier }

    /// A test that fails before stopping its workers must not leave them running (they would retry the
    /// test's vanished database for ever).
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
    }

    func signal(_ s: Int32) { kill(pid, s) }

    /// Waits for exit (hang guard: `timeout`); returns the status, or nil if it did not exit.
    func wait(timeout: Double = 120) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM and wait; SIGKILL if it hangs (the test then fails on the status).
    @discardableResult
    func stop() async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        signal(SIGTERM)
        let status = await wait(timeout: 60)
        if status == nil { signal(SIGKILL); _ = await wait(timeout: 10) }
        return status
    }

    /// Every JSON event logged so far (other lines, if any, are skipped).
    var events: [WorkerEvent] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(WorkerEvent.self, from: Data($0.utf8)) }
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}

/// Polls `condition` every 100 ms; fails the test when `timeout` (a hang guard, not a measurement) passes.
func eventually(_ what: String, timeout: Double = 240, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw FixtureError(message: "timed out waiting for: \(what)")
}

/// Runs the `smoothpack` binary with S3 test credentials, waiting on a thread of its own (not the cooperative pool).
func smoothpack(_ arguments: [String]) async throws -> ProcessResult {
    let env = S3Server.credentials.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return try await External.runOffPool(["env"] + env + [try TestPaths.smoothpackBinary] + arguments, timeout: 300)
}

/// Checks a published presentation: its `.ism` and `.ismc` exist, and every media file the `.ism` names exists
/// with a non-zero size. `playback` is the job's result (`s3://bucket/…/<stem>.ism/Manifest`).
func checkPublished(_ playback: String, client: S3Client) async throws -> Bool {
    guard playback.hasPrefix("s3://\(client.bucket)/"), playback.hasSuffix("/Manifest") else { return false }
    let ismKey = String(playback.dropFirst("s3://\(client.bucket)/".count).dropLast("/Manifest".count))
    let folder = ismKey.split(separator: "/").dropLast().joined(separator: "/")
    let ism = try await client.send("GET", key: ismKey)
    guard ism.status == 200 else { return false }
    let ismc = try await client.send("HEAD", key: String(ismKey.dropLast(4)) + ".ismc")
    guard ismc.status == 200 else { return false }
    let text = String(decoding: ism.body, as: UTF8.self)
    var names: [String] = []
    var rest = text[...]
    while let r = rest.range(of: "src=\"") {
        let after = rest[r.upperBound...]
        guard let end = after.firstIndex(of: "\"") else { break }
        names.append(String(after[..<end]))
        rest = after[end...]
    }
    let media = Set(names.filter { $0.hasSuffix(".ismv") || $0.hasSuffix(".isma") })
    guard !media.isEmpty else { return false }
    for name in media {
        let h = try await client.headObject(folder + "/" + name)
        guard let h, h.size > 0 else { return false }
    }
    return true
}
