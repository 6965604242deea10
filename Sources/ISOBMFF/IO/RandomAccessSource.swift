// The positional-read protocol, `MemorySource` and the file behind them live in the platform layer; ISOBMFF's
// public API is written in terms of them, so its clients see them without importing Platform themselves.
@_exported public import Platform

/// A read-only file read with `pread(2)` (the platform layer's ``Platform/ReadableFile``). The old name,
/// kept for callers; errors are ``Platform/PlatformError`` naming `open`/`pread` and the path.
public typealias FileSource = ReadableFile

extension MP4Error {
    /// A platform read failure as the readers report it: a range outside the source is `.truncated`,
    /// anything else `.io`, with the platform error's text as detail.
    init(reading error: any Error, offset: Int64) {
        if let e = error as? MP4Error {
            self = e
        } else if let e = error as? PlatformError, e.kind == .outOfBounds || e.kind == .truncated {
            self.init(code: .truncated, box: "    ", offset: offset, detail: e.description)
        } else {
            self.init(code: .io, box: "    ", offset: offset, detail: "\(error)")
        }
    }
}

extension RandomAccessSource {
    /// The header of the box starting at `offset` (a top-level box of the file).
    public func boxHeader(at offset: Int64) throws -> BoxHeader {
        let n = Int(min(32, max(0, size - offset)))
        let bytes = try readBytes(at: offset, count: n)
        return try BoxHeader.parse(bytes, at: 0, offset: offset, available: size - offset, path: "", topLevel: true)
    }

    /// Exactly `count` bytes at `offset`, with a failure reported as ``MP4Error`` (`.truncated` past the end).
    func readBytes(at offset: Int64, count: Int) throws(MP4Error) -> [UInt8] {
        do { return try read(at: offset, count: count) } catch { throw MP4Error(reading: error, offset: offset) }
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
        return ByteReader(try readBytes(at: header.offset, count: Int(header.size)), fileOffset: header.offset)
    }
}
