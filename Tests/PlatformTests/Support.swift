import Foundation
import Platform
import SystemPackage

/// A fresh folder under the system temporary folder, removed by `cleanup()`; `path` is already resolved
/// (no symlinks), so tests can compare resolved paths with it.
struct Scratch {
    let path: FilePath

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("platform-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = try FileSystem.realPath(FilePath(base.path))
    }

    func file(_ relative: String, _ bytes: [UInt8]) throws -> FilePath {
        let p = path.appending(relative)
        try FileManager.default.createDirectory(atPath: p.removingLastComponent().string,
                                                withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: p.string, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return p
    }

    func directory(_ relative: String) throws -> FilePath {
        let p = path.appending(relative)
        try FileManager.default.createDirectory(atPath: p.string, withIntermediateDirectories: true)
        return p
    }

    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path.appending(relative).string,
                                                   withDestinationPath: target)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path.string) }
}

/// Sleeps the calling (dedicated) thread.
func usleepMicro(_ microseconds: UInt32) { usleep(microseconds) }
