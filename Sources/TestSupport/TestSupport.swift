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
    /// Runs `arguments[0]` found on PATH with the remaining arguments. Throws if it cannot start; a program
    /// not on PATH reads as status 127, as `env` answered. Through ``Platform/ChildProcess`` (`posix_spawnp` and
    /// `waitpid`): Foundation's `Process` once waited here forever beside a child that had exited.
    @discardableResult
    public static func run(_ arguments: [String], timeout: TimeInterval = 600) throws -> ProcessResult {
        // The timeout is a bound, not a measurement: a hung program is killed so the test fails instead of
        // hanging CI.
        let started = Result { () throws(PlatformError) in try ChildProcess.run(arguments, timeLimit: timeout) }
        if case .failure(let error) = started, error.isNotFound {
            return ProcessResult(status: 127, stdout: "", stderr: "\(arguments.first ?? ""): No such file or directory\n",
                                 stdoutData: Data())
        }
        let r = try started.get()
        let out = Data(r.output)
        return ProcessResult(status: r.status, stdout: String(decoding: out, as: UTF8.self),
                             stderr: String(decoding: r.errors, as: UTF8.self), stdoutData: out)
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
