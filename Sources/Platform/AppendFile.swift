public import SystemPackage
internal import Synchronization
#if os(Linux)
internal import CGlibcExtras
#endif

/// A file opened for appending (`O_APPEND`): each ``append(_:)`` writes all its bytes or throws. A failed
/// write (disk full, I/O error, closed) is always reported to the caller, never dropped. Safe to share between
/// threads: appends are serialised, so lines from different threads never interleave.
public final class AppendFile: Sendable {
    private let fd: Mutex<FileDescriptor?>
    /// The path as given.
    public let path: FilePath

    /// Opens `path` for appending, creating it (with `permissions`) when missing and emptying it first when
    /// `truncate` (a new output file) (C: `open`).
    public init(_ path: FilePath, truncate: Bool = false,
                permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead]) throws(PlatformError)
    {
        var options: FileDescriptor.OpenOptions = [.append, .create, .closeOnExec]
        if truncate { options.insert(.truncate) }
        let descriptor = try sys("open", path) {
            try FileDescriptor.open(path, .writeOnly, options: options, permissions: permissions)
        }
        self.path = path
        self.fd = Mutex(descriptor)
    }

    private init(descriptor: FileDescriptor, path: FilePath) {
        self.path = path
        self.fd = Mutex(descriptor)
    }

    /// Standard output, through a duplicate of its descriptor (C: `dup`), so closing this never closes fd 1.
    public static func standardOutput() throws(PlatformError) -> AppendFile {
        let path = FilePath("<stdout>")
        return AppendFile(descriptor: try sys("dup", path) { try FileDescriptor.standardOutput.duplicate() }, path: path)
    }

    /// Opens `path` (a string) for appending (see ``init(_:truncate:permissions:)``).
    public convenience init(path: String, truncate: Bool = false) throws(PlatformError) {
        try self.init(FilePath(path), truncate: truncate)
    }

    deinit {
        let descriptor = fd.withLock { $0.take() }
        _ = try? descriptor?.close()
    }

    /// Appends every byte of `bytes` (C: `write`, retried on short writes and `EINTR`).
    public func append(_ bytes: some Sequence<UInt8>) throws(PlatformError) {
        let result: Result<Void, PlatformError> = fd.withLock { descriptor in
            guard let descriptor else { return .failure(PlatformError(.closed, function: "write", path: path.string)) }
            do throws(PlatformError) {
                _ = try sys("write", path) { try descriptor.writeAll(bytes) }
                return .success(())
            } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Appends the UTF-8 bytes of `text`.
    public func append(_ text: String) throws(PlatformError) { try append(Array(text.utf8)) }

    /// `fsync(2)`: what was appended survives a crash.
    public func sync() throws(PlatformError) {
        let result: Result<Void, PlatformError> = fd.withLock { descriptor in
            guard let descriptor else { return .failure(PlatformError(.closed, function: "fsync", path: path.string)) }
            do throws(PlatformError) { try FileSystem.fsync(descriptor, path: path) } catch { return .failure(error) }
            return .success(())
        }
        try result.get()
    }

    /// Asks the kernel to start writing `count` bytes from `offset` to the disk, without waiting (C:
    /// `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; nothing elsewhere). A writer that calls this as it goes
    /// overlaps the disk with its own work, and its final ``sync()`` waits only for the tail. Best effort: a
    /// failure here shows again at ``sync()``.
    public func startWriteback(offset: Int64, count: Int64) {
        #if os(Linux)
        fd.withLock { descriptor in
            guard let descriptor, offset >= 0, count > 0 else { return }
            _ = glibc_extras_start_writeback(descriptor.rawValue, offset, count)
        }
        #endif
    }

    /// Closes the file (C: `close`); later appends throw `.closed`. Idempotent.
    public func close() throws(PlatformError) {
        guard let descriptor = fd.withLock({ $0.take() }) else { return }
        try sys("close", path) { try descriptor.close() }
    }
}
