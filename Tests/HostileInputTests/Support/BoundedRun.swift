import Foundation
import TestSupport

/// The result of a program run under a deadline.
struct BoundedResult: Sendable {
    var status: Int32
    /// True when the program died from a signal (a crash: SIGSEGV, SIGILL from a Swift trap, SIGABRT…).
    var signaled: Bool
    /// True when the deadline passed and the program was killed.
    var timedOut: Bool
    var elapsed: TimeInterval
    var stdout: String
    var stderr: String

    /// Non-empty stderr lines.
    var errorLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }
    var summary: String { "status \(status)\(signaled ? " (signal)" : "")\(timedOut ? " (timed out)" : ""), "
        + String(format: "%.1f s", elapsed) + "\nstdout: \(stdout)\nstderr: \(stderr)" }
}

enum Bounded {
    /// Runs `arguments` (the first found on PATH unless it is a path) and kills it at `timeout`.
    /// `External.run` has no working deadline, hence this.
    static func run(_ arguments: [String], timeout: TimeInterval = 60, environment: [String: String]? = nil,
                    whileRunning: (@Sendable () -> Void)? = nil) throws -> BoundedResult {
        let process = Process()
        if arguments[0].contains("/") {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        let start = Date()
        try process.run()
        let outBox = Box(), errBox = Box()
        // Threads, not the global queue: its width is the core count (2 here), and two blocked pipe readers
        // would hold back the helper until the program has exited.
        let group = DispatchGroup()
        func spawn(_ body: @escaping @Sendable () -> Void) {
            group.enter()
            Thread { body(); group.leave() }.start()
        }
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            let handle = pipe.fileHandleForReading
            spawn { box.data = handle.readDataToEndOfFile() }
        }
        if let whileRunning { spawn(whileRunning) }
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        let elapsed = Date().timeIntervalSince(start)
        group.wait()
        return BoundedResult(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                             timedOut: timedOut, elapsed: elapsed,
                             stdout: String(decoding: outBox.data, as: UTF8.self),
                             stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    private final class Box: @unchecked Sendable { var data = Data() }
}
