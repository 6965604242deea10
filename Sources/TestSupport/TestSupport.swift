public import Foundation
internal import Platform
internal import Synchronization

/// Helpers shared by the test targets: repository paths, temporary folders, external tools.
public enum TestPaths {
    /// The repository root (the folder holding Package.swift), found from this file's location.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        preconditionFailure("Package.swift not found above \(#filePath)")
    }()

    /// A committed clip in `testmedia/`.
    public static func testMedia(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("testmedia").appendingPathComponent(name).path
    }

    /// Every committed clip in `testmedia/`, sorted.
    public static var allTestMedia: [String] {
        let dir = repositoryRoot.appendingPathComponent("testmedia").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// A fresh empty directory under the system temporary folder.
    public static func temporaryDirectory(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("smoothpack-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Runs an external program to completion and captures its output.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutData: Data
}

public enum External {
    /// Runs `arguments[0]` found on PATH with the remaining arguments. Throws if it cannot start.
    ///
    /// Started with `posix_spawnp` and waited for with `waitpid`, not with Foundation's `Process`: on Linux its
    /// `waitUntilExit` learns of an exit from `SIGCHLD`, and when two children end together it can miss one and
    /// wait forever beside the zombie (seen once here, in a test that waited for `smoothpack encode`); its
    /// time-out could not help, since a zombie is not "running" to be terminated.
    @discardableResult
    public static func run(_ arguments: [String], timeout: TimeInterval = 600) throws -> ProcessResult {
        guard let program = arguments.first else { throw ExternalToolError(message: "no program to run") }
        let child: SpawnedChild
        do { child = try SpawnedChild(arguments) } catch let error as SpawnError where error.code == ENOENT {
            // What `env` answered for a program not on PATH, which callers check for.
            return ProcessResult(status: 127, stdout: "", stderr: "\(program): No such file or directory\n", stdoutData: Data())
        }
        // The timeout is a bound, not a measurement: a hung program is killed so the test fails instead
        // of hanging CI.
        let watchdog = DispatchWorkItem { [child] in child.kill() }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        // Read both pipes concurrently so a chatty program cannot block on a full pipe.
        let errBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        let errHandle = child.stderr
        DispatchQueue.global().async {
            let data = errHandle.readDataToEndOfFile()
            errBox.data.withLock { $0 = data }
            done.signal()
        }
        let outData = child.stdout.readDataToEndOfFile()
        done.wait()
        let status = child.wait()
        let errData = errBox.data.withLock { $0 }
        return ProcessResult(status: status, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    /// ``run(_:timeout:)`` on a thread of its own, for async tests: the wait for a long program (a build, an
    /// encode) then never holds a thread of Swift's cooperative pool, which has as many threads as cores (two
    /// here) and which every other test in the process, and the servers they start, need to make progress.
    public static func runOffPool(_ arguments: [String], timeout: TimeInterval = 600) async throws -> ProcessResult {
        try await Blocking.run("external \(arguments.first ?? "")", stackSize: 1 << 20) { _ in
            try run(arguments, timeout: timeout)
        }
    }

    /// `ffprobe -of json` output parsed into a dictionary.
    public static func ffprobeJSON(_ arguments: [String]) throws -> [String: Any] {
        let result = try run(["ffprobe", "-v", "error", "-of", "json"] + arguments)
        guard result.status == 0,
              let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any] else {
            throw ExternalToolError(message: "ffprobe failed (\(result.status)): \(result.stderr)")
        }
        return object
    }
}

public struct ExternalToolError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// What the stderr reader thread hands back to the waiting caller.
private final class DataBox: Sendable {
    let data = Mutex(Data())
}

extension TestPaths {
    /// The build products folder holding the test bundle (and the `smoothpack` executable built with it).
    public static var productsDirectory: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // The runner may sit inside a bundle directory (…/smoothpackPackageTests.xctest/…).
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("smoothpack").path) {
            dir.deleteLastPathComponent()
        }
        return dir
    }

    /// The `smoothpack` executable built alongside the tests (`swift build --build-tests` builds it).
    public static var smoothpackBinary: String {
        get throws {
            let path = productsDirectory.appendingPathComponent("smoothpack").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw ExternalToolError(message: "smoothpack executable not found next to the tests; run `swift build --build-tests` first")
            }
            return path
        }
    }
}

private struct SpawnError: Error, CustomStringConvertible {
    var program: String
    var code: Int32
    var description: String { "\(program): cannot start (\(String(cString: strerror(code))))" }
}

/// A program started with `posix_spawnp`: standard input from /dev/null, output and errors into pipes.
private final class SpawnedChild: Sendable {
    let pid: pid_t
    let stdout: FileHandle
    let stderr: FileHandle
    /// Set once the child's exit was collected: the watchdog must not signal a process ID the system may reuse.
    private let reaped = Mutex(false)

    init(_ arguments: [String]) throws {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        // Close-on-exec, so no other child started meanwhile keeps a write end open (its reader would then wait
        // for that child too); the spawned program gets its copies through dup2, which clears the flag.
        guard pipe(&outPipe) == 0 else { throw ExternalToolError(message: "pipe: \(errno)") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw ExternalToolError(message: "pipe: \(errno)")
        }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let r = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard r == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw SpawnError(program: arguments[0], code: r)
        }
        self.pid = pid
        stdout = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true)
        stderr = FileHandle(fileDescriptor: errPipe[0], closeOnDealloc: true)
    }

    /// Waits for the exit and returns the exit status (128 + the signal for a killed program).
    func wait() -> Int32 {
        var info = siginfo_t()
        // WNOWAIT: the child stays a zombie (its ID reserved) until `reaped` is set, then it is collected.
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        reaped.withLock { $0 = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// SIGKILL, unless the exit was already collected.
    func kill() {
        reaped.withLock { done in if !done { _ = Glibc.kill(pid, SIGKILL) } }
    }
}
