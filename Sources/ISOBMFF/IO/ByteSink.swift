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

/// A small buffered file writer on the platform layer's ``Platform/AppendFile``: small writes (box headers,
/// moofs, small samples) are gathered in a fixed buffer; writes at least as large as the buffer go straight to
/// the file. Failures are `MP4Error.io` with the platform error's text (C function, path, errno).
public final class FileSink: ByteSink {
    private var file: AppendFile?
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0
    /// The path as given.
    public let path: String

    /// Creates or truncates `path`.
    public init(path: String, bufferSize: Int = 1 << 20) throws {
        precondition(bufferSize > 0, "FileSink needs a buffer")
        do { file = try AppendFile(path: path, truncate: true) } catch {
            throw MP4Error(code: .io, box: "    ", detail: error.description)
        }
        self.path = path
        buffer = .allocate(byteCount: bufferSize, alignment: 16)
    }

    deinit {
        if file != nil { _ = try? close() }
        buffer.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard file != nil else { throw MP4Error(code: .io, box: "    ", detail: "\(path) is closed") }
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
        guard let file else { return }
        defer { self.file = nil }
        do {
            try flush()
            try file.close()
        } catch {
            _ = try? file.close()
            throw error
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        guard let file else { throw MP4Error(code: .io, box: "    ", detail: "\(path) is closed") }
        do throws(PlatformError) { try file.append(bytes) } catch {
            throw MP4Error(code: .io, box: "    ", detail: error.description)
        }
    }
}
