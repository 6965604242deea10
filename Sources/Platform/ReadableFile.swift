public import SystemPackage
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// A read-only file read with `pread(2)` (``FileDescriptor/read(fromAbsoluteOffset:into:retryOnInterrupt:)``).
/// Safe to share between threads: `pread` does not move a shared file position, and ``close()`` waits for
/// reads in flight before the descriptor is released, so a read never touches a reused descriptor.
public final class ReadableFile: RandomAccessSource, Sendable {
    private struct State {
        var closeRequested = false
        var descriptorClosed = false
        var readsInFlight = 0
    }

    private let fd: FileDescriptor
    private let state = Mutex(State())
    /// The size taken at open (reads are checked against it).
    public let size: Int64
    /// The path as given.
    public let path: FilePath
    /// The status taken at open (`fstat(2)`).
    public let status: FileStatus

    /// Opens `path` read-only; it must be a regular file (C: `open`, `fstat`).
    public init(_ path: FilePath) throws(PlatformError) {
        let fd = try sys("open", path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) }
        let status: FileStatus
        do throws(PlatformError) { status = try FileStatus.of(descriptor: fd, path: path) } catch {
            _ = try? fd.close()
            throw error
        }
        guard status.isRegularFile else {
            _ = try? fd.close()
            throw PlatformError(.notRegularFile, function: "open", path: path.string)
        }
        self.fd = fd
        self.path = path
        self.status = status
        self.size = status.size
    }

    /// Opens `path` read-only (see ``init(_:)-(FilePath)``).
    public convenience init(path: String) throws(PlatformError) { try self.init(FilePath(path)) }

    deinit {
        let mustClose = state.withLock { s in
            defer { s.descriptorClosed = true }
            return !s.descriptorClosed
        }
        if mustClose { _ = try? fd.close() }
    }

    /// Releases the descriptor (after any reads in flight); later reads throw `.closed`. Idempotent.
    public func close() {
        let mustClose = state.withLock { s in
            s.closeRequested = true
            guard s.readsInFlight == 0, !s.descriptorClosed else { return false }
            s.descriptorClosed = true
            return true
        }
        if mustClose { _ = try? fd.close() }
    }

    /// Reads exactly `buffer.count` bytes at `offset` into `buffer` (C: `pread`, retried on `EINTR` and short
    /// reads). Throws `.outOfBounds` when the range is not inside the size taken at open, `.truncated` when
    /// the file shrank since.
    public func pread(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) {
        try checkRange(offset: offset, count: buffer.count, size: size, path: path.string)
        try beginRead()
        defer { endRead() }
        var done = 0
        while done < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            let n = try sys("pread", path) { try fd.read(fromAbsoluteOffset: offset + Int64(done), into: rest) }
            if n == 0 {
                throw PlatformError(.truncated, function: "pread", path: path.string,
                                    detail: "\(buffer.count - done) bytes missing at offset \(offset + Int64(done))")
            }
            done += n
        }
    }

    /// A second descriptor of the same open file (C: `fcntl(F_DUPFD_CLOEXEC)`) that the caller owns and must
    /// close, for an API that takes ownership of what it is given (the origin's `sendfile` bodies). Checks,
    /// like a read, that the file is not closed and, with `fstat`, that it still holds `size` bytes (a file
    /// that shrank since it was opened throws `.truncated` instead of leaving a `sendfile` short).
    public func duplicateDescriptor() throws(PlatformError) -> CInt {
        try beginRead()
        defer { endRead() }
        let copy = fcntl(fd.rawValue, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { throw .system("fcntl", path.string, code: errno) }
        let current: FileStatus
        do throws(PlatformError) { current = try FileStatus.of(descriptor: FileDescriptor(rawValue: copy), path: path) } catch {
            _ = Glibc.close(copy)
            throw error
        }
        guard current.size >= size else {
            _ = Glibc.close(copy)
            throw PlatformError(.truncated, function: "fstat", path: path.string,
                                detail: "\(current.size) bytes, \(size) when opened")
        }
        return copy
    }

    /// Exactly `count` bytes at `offset`; the range is checked against the size before anything is allocated.
    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        try checkRange(offset: offset, count: count, size: size, path: path.string)
        var failure: PlatformError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(PlatformError) {
                try pread(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    private func beginRead() throws(PlatformError) {
        let open = state.withLock { s in
            guard !s.closeRequested else { return false }
            s.readsInFlight += 1
            return true
        }
        guard open else { throw PlatformError(.closed, function: "pread", path: path.string) }
    }

    private func endRead() {
        let mustClose = state.withLock { s in
            s.readsInFlight -= 1
            guard s.closeRequested, s.readsInFlight == 0, !s.descriptorClosed else { return false }
            s.descriptorClosed = true
            return true
        }
        if mustClose { _ = try? fd.close() }
    }
}
