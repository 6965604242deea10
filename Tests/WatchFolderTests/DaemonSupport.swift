import Foundation
import Testing
import TestSupport
@testable import WatchFolder
#if canImport(Glibc)
import Glibc
#endif

/// The `smoothpack` executable under test.
///
/// This test target depends on the `PackagerCLI` executable target, so `swift build --build-tests` /
/// `swift test` always build `smoothpack` first, into the same products folder as the test runner
/// (`.build/<triple>/debug/`, where `<Package>PackageTests.xctest` runs from). It is found next to the
/// running test executable (`/proc/self/exe`); `SMOOTHPACK_BINARY` overrides that (e.g. to test a release
/// build), and `<repo>/.build/debug/smoothpack` is the last resort.
enum SmoothpackBinary {
    static let path: String = {
        if let override = ProcessInfo.processInfo.environment["SMOOTHPACK_BINARY"] { return override }
        var candidates: [URL] = []
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("smoothpack"))
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("smoothpack"))
        }
        candidates.append(TestPaths.repositoryRoot.appendingPathComponent(".build/debug/smoothpack"))
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return (found ?? candidates[0]).path
    }()
}

/// Small generated clips (ffmpeg CLI), cached for the test run.
enum Clips {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("smoothpack-watch-clips-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
    private static let lock = NSLock()

    /// A clip of `seconds` at `size`, video + stereo audio, made once.
    static func base(seconds: Int, size: String) throws -> URL {
        try lock.withLock {
            let url = folder.appendingPathComponent("base-\(seconds)s-\(size).mp4")
            if FileManager.default.fileExists(atPath: url.path) { return url }
            let result = try External.run([
                "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=\(size):rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "\(seconds)",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                url.path + ".tmp.mp4",
            ])
            guard result.status == 0 else { throw ExternalToolError(message: "ffmpeg: \(result.stderr)") }
            try FileManager.default.moveItem(atPath: url.path + ".tmp.mp4", toPath: url.path)
            return url
        }
    }

    /// A copy of a base clip with `tag` in its metadata, so that every copy has different bytes (and so a
    /// different fingerprint and presentation version). Remuxed, not re-encoded: fast.
    static func variant(_ tag: String, at target: URL, seconds: Int = 1, size: String = "160x90") throws {
        let base = try base(seconds: seconds, size: size)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let result = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", base.path, "-c", "copy",
                                       "-metadata", "comment=\(tag)", "-f", "mp4", target.path])
        guard result.status == 0 else { throw ExternalToolError(message: "ffmpeg: \(result.stderr)") }
    }
}

/// `smoothpack watch` as a child process on temporary folders. Used from one test at a time; a daemon
/// still running when the test ends is killed.
final class Daemon: @unchecked Sendable {
    let root: URL
    let inbox: URL
    let out: URL
    let events: URL
    let log: URL
    let state: URL
    private(set) var process: Process?
    private var traced = false

    init(_ label: String) throws {
        root = try TestPaths.temporaryDirectory("watch-\(label)")
        inbox = root.appendingPathComponent("inbox")
        out = root.appendingPathComponent("out")
        events = root.appendingPathComponent("events.jsonl")
        log = root.appendingPathComponent("daemon.log")
        state = inbox.appendingPathComponent(".smoothpack/state.sqlite")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    }

    deinit {
        if let tracee { kill(tracee, SIGKILL) }
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Starts the daemon (`--profile fast --settle <settle> --rescan 1` plus `extra`). With `trace`, it runs
    /// under `strace -f -y` of its file-placing calls (`fsync`, `rename`, `mkdir`), written to that file; signal
    /// it through `tracee` then (strace itself blocks fatal signals while it writes to a file).
    func start(_ extra: [String] = [], settle: Int = 1, tracingTo trace: URL? = nil) throws {
        let process = Process()
        let arguments = ["watch", inbox.path, "--out", out.path, "--profile", "fast", "--settle", "\(settle)", "--rescan", "1",
                         "--events", events.path, "--log-level", "debug"] + extra
        traced = trace != nil
        if let trace {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
            process.arguments = ["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2,mkdir,mkdirat",
                                 "-o", trace.path, SmoothpackBinary.path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: SmoothpackBinary.path)
            process.arguments = arguments
        }
        let logHandle = try FileHandle(forWritingTo: log)
        try logHandle.seekToEnd()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        let runsBefore = logText().components(separatedBy: "[WatchFolder] watching").count - 1
        try process.run()
        try logHandle.close()
        self.process = process
        // Ready when this run logged "watching" (then its SIGTERM handler is in place).
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline
            && logText().components(separatedBy: "[WatchFolder] watching").count - 1 <= runsBefore {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// The daemon under `strace` (the tracer's one child), once it has started.
    var tracee: Int32? {
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { Int32($0) }.first
    }

    /// Sends `number` to the daemon (under `strace`, to the traced process: the tracer ends when it does).
    func signal(_ number: Int32) {
        guard let process, process.isRunning else { return }
        kill(traced ? (tracee ?? process.processIdentifier) : process.processIdentifier, number)
    }

    /// Waits for the process to end; its exit status, or nil if it did not end in time (then it is killed).
    func waitForExit(timeout: TimeInterval) async -> (status: Int32, reason: Process.TerminationReason)? {
        guard let process else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return (process.terminationStatus, process.terminationReason)
    }

    /// Stops a daemon that is still running (test cleanup).
    func stop() async {
        signal(SIGKILL)
        _ = await waitForExit(timeout: 5)
    }

    func jobEvents() -> [JobEvent] {
        let text = (try? String(contentsOf: events, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(JobEvent.self, from: Data($0.utf8)) }
    }

    func count(_ state: String) -> Int { jobEvents().filter { $0.state == state }.count }

    func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Every file below `url`, relative, sorted.
    static func files(under url: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: url.path) else { return [] }
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(path).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }

    /// Published presentation folders: `<out>/…/<stem>/<version>/` holding `upload-manifest.json`.
    func presentations() -> [String] {
        Self.files(under: out).filter { $0.hasSuffix("/upload-manifest.json") }
            .map { String($0.dropLast("/upload-manifest.json".count)) }
    }

    /// Anything under `<out>` whose name starts with `.tmp-`.
    func workLeftovers() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: out.path) else { return [] }
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            if (path as NSString).lastPathComponent.hasPrefix(".tmp-") { found.append(path) }
        }
        return found
    }

    /// Consistency of the three records after every job ended: the store, `done/` and `<out>`.
    func checkConsistency(expectedDone: Int, file: String = #filePath, line: Int = #line) async throws {
        let location = SourceLocation(fileID: #fileID, filePath: file, line: line, column: 1)
        let store = try SQLiteJobStore(path: state.path)
        let jobs = try await store.allJobs()
        let done = jobs.filter { $0.state == .done }
        #expect(done.count == expectedDone, "jobs: \(jobs.map { "\($0.source) \($0.state)" })", sourceLocation: location)
        #expect(!jobs.contains { $0.state == .running || $0.state == .queued }, sourceLocation: location)
        // Each done job's presentation exists, and nothing else was published.
        let published = Set(presentations())
        let expected = Set(done.compactMap { $0.outputPrefix.map { String($0.dropLast()) } })
        #expect(published == expected, "published \(published.sorted()), store \(expected.sorted())", sourceLocation: location)
        // Each done job's source is in done/, once.
        let filed = Self.files(under: inbox.appendingPathComponent("done"))
        #expect(filed == done.map(\.source).sorted(), sourceLocation: location)
        // The events log says done exactly once per job.
        let doneEvents = jobEvents().filter { $0.state == "done" }.map(\.job)
        #expect(doneEvents.sorted() == done.map(\.id).sorted(), sourceLocation: location)
        #expect(workLeftovers().isEmpty, "left: \(workLeftovers())", sourceLocation: location)
    }
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes.
func waitFor(_ timeout: TimeInterval, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return condition()
}
