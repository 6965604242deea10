#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Positional reads from a file or buffer: the origin server reads `mfra` from the end of a
/// multi-GB file and then one fragment's byte range, never the whole file.
public protocol RandomAccessSource {
    /// Total size in bytes.
    var size: Int64 { get }
    /// Exactly `count` bytes at `offset`; throws `MP4Error.truncated` past the end.
    func read(at offset: Int64, count: Int) throws -> [UInt8]
}

/// An in-memory ``RandomAccessSource`` (tests, small files).
public struct MemorySource: RandomAccessSource, Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int64 { Int64(bytes.count) }
    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
            throw MP4Error(
                code: .truncated, box: "    ", offset: offset,
                detail: "read of \(count) bytes past the end of \(size) bytes")
        }
        return Array(bytes[Int(offset)..<(Int(offset) + count)])
    }
}

/// A read-only file read with `pread(2)`. Safe to share between threads: it holds only the
/// descriptor and the size taken at open, and `pread` does not move a shared file position.
public final class FileSource: RandomAccessSource, @unchecked Sendable {
    private let fd: Int32
    public let size: Int64
    /// The path as given.
    public let path: String

    /// Opens `path` for reading; throws `MP4Error.io` with the errno text.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MP4Error(code: .io, box: "    ", detail: "open \(path): \(errnoText())") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let text = errnoText()
            close(fd)
            throw MP4Error(code: .io, box: "    ", detail: "fstat \(path): \(text)")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MP4Error(code: .io, box: "    ", detail: "\(path) is not a regular file")
        }
        self.fd = fd
        self.size = Int64(st.st_size)
    }

    deinit { close(fd) }

    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
            throw MP4Error(
                code: .truncated, box: "    ", offset: offset,
                detail: "read of \(count) bytes past the end of \(size) bytes")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            guard let base = buf.baseAddress else { return }  // count == 0
            while done < count {
                let n = pread(fd, base + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw MP4Error(
                        code: .io, box: "    ", offset: offset + Int64(done), detail: "pread: \(errnoText())")
                }
                if n == 0 {
                    throw MP4Error(code: .truncated, box: "    ", offset: offset + Int64(done), detail: "file shrank")
                }
                done += n
            }
        }
        return out
    }
}

func errnoText() -> String { String(cString: strerror(errno)) + " (\(errno))" }

/// `close(2)`, callable from types that declare their own `close()`.
func posixClose(_ fd: Int32) { _ = close(fd) }

/// `write(2)`, callable from types that declare their own `write`.
func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buf, count) }

extension RandomAccessSource {
    /// The header of the box starting at `offset` (a top-level box of the file).
    public func boxHeader(at offset: Int64) throws -> BoxHeader {
        let n = Int(min(32, max(0, size - offset)))
        let bytes = try read(at: offset, count: n)
        return try BoxHeader.parse(bytes, at: 0, offset: offset, available: size - offset, path: "", topLevel: true)
    }

    /// The headers of all top-level boxes, found by hopping from header to header (small reads only).
    public func topLevelBoxes() throws -> [BoxHeader] {
        var out: [BoxHeader] = []
        var offset: Int64 = 0
        while offset < size {
            let h = try boxHeader(at: offset)
            out.append(h)
            offset = h.end
        }
        return out
    }

    /// The whole box described by `header`, as a reader positioned at its start; refuses boxes larger
    /// than `limit` bytes (`boxTooLarge`) so a hostile size field cannot drive an allocation.
    public func readBox(_ header: BoxHeader, limit: Int64 = 64 << 20) throws -> ByteReader {
        guard header.size <= limit else {
            throw MP4Error(
                code: .boxTooLarge, box: header.type, path: header.displayName, offset: header.offset,
                detail: "\(header.size) bytes exceeds the \(limit)-byte read limit")
        }
        return ByteReader(try read(at: header.offset, count: Int(header.size)), fileOffset: header.offset)
    }
}
