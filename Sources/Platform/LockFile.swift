public import SystemPackage
#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An exclusive advisory lock on a file (`flock(2)` with `LOCK_EX | LOCK_NB`), held while this value lives.
/// The kernel releases it when the process dies, `kill -9` included, so a stale lock never needs cleaning up.
public final class LockFile: Sendable {
    private let fd: FileDescriptor
    /// The lock file's path.
    public let path: FilePath

    /// Opens (creating) `path` and takes the lock; nil when another open file description holds it already
    /// (C: `open`, `flock`).
    public init?(_ path: FilePath) throws(PlatformError) {
        let fd = try sys("open", path) {
            try FileDescriptor.open(path, .readWrite, options: [.create, .closeOnExec],
                                    permissions: [.ownerReadWrite, .groupRead, .otherRead])
        }
        while flock(fd.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let e = Errno(rawValue: errno)
            if e == .interrupted { continue }
            _ = try? fd.close()
            if e == .wouldBlock { return nil }
            throw .system("flock", path, e)
        }
        self.fd = fd
        self.path = path
    }

    deinit { _ = try? fd.close() }
}
