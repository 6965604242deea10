#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Where the fragmenter writes: a file (``FileSink``) or memory (``MemorySink``). Writes are
/// sequential; the fragmenter never seeks back.
public protocol ByteSink: AnyObject {
    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Pushes buffered bytes to the destination.
    func flush() throws
}

extension ByteSink {
    /// Appends an array's bytes without copying them first.
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
}

/// Collects everything in memory (tests, small outputs).
public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes.append(contentsOf: bytes) }
    public func flush() throws {}
}

/// Counts bytes and drops them (timing tests, dry runs).
public final class CountingSink: ByteSink {
    public private(set) var count: Int64 = 0
    public init() {}
    public func write(_ bytes: UnsafeRawBufferPointer) throws { count += Int64(bytes.count) }
    public func flush() throws {}
}

/// A small buffered file writer (`open`/`write(2)`): small writes (box headers, moofs, small samples)
/// are gathered in a fixed buffer; writes at least as large as the buffer go straight to the file.
public final class FileSink: ByteSink {
    private var fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    /// The path as given.
    public let path: String

    /// Creates or truncates `path`. Throws `MP4Error.io` with the errno text.
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        precondition(bufferSize > 0, "FileSink needs a buffer")
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw MP4Error(code: .io, box: "    ", detail: "open \(path): \(errnoText())") }
        self.fd = fd
        self.path = path
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        if fd >= 0 {
            _ = try? flush()
            posixClose(fd)
        }
        buffer.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw MP4Error(code: .io, box: "    ", detail: "\(path) is closed") }
        if used + bytes.count > buffer.count { try flush() }
        if bytes.count >= buffer.count {
            try writeAll(bytes)
        } else if bytes.count > 0, let src = bytes.baseAddress, let dst = buffer.baseAddress {
            (dst + used).copyMemory(from: src, byteCount: bytes.count)
            used += bytes.count
        }
    }

    public func flush() throws {
        guard used > 0 else { return }
        let pending = UnsafeRawBufferPointer(start: buffer.baseAddress, count: used)
        used = 0
        try writeAll(pending)
    }

    /// Flushes and closes the file; further writes throw.
    public func close() throws {
        guard fd >= 0 else { return }
        defer {
            posixClose(fd)
            fd = -1
        }
        try flush()
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = posixWrite(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw MP4Error(code: .io, box: "    ", detail: "write \(path): \(errnoText())")
            }
            done += n
        }
    }
}
