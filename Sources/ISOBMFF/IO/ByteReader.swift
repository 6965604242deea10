/// A box header as found in the data (ISO/IEC 14496-12 §4.2).
public struct BoxHeader: Sendable, Equatable {
    /// The box type.
    public var type: FourCC
    /// The extended type of a `uuid` box.
    public var uuid: BoxUUID?
    /// Byte offset of the box's first byte in the file or buffer.
    public var offset: Int64
    /// Whole box size including the header.
    public var size: Int64
    /// Header length: 8, 16 with largesize, plus 16 for a uuid.
    public var headerSize: Int

    /// Offset one past the last byte of the box.
    public var end: Int64 { offset + size }
    /// Size of the body (after the header).
    public var bodySize: Int64 { size - Int64(headerSize) }
    /// `type` or, for a recognised uuid, a short name (`tfxd`, `tfrf`).
    public var displayName: String {
        guard type == "uuid", let uuid else { return type.description }
        switch uuid {
        case .tfxd: return "uuid(tfxd)"
        case .tfrf: return "uuid(tfrf)"
        default: return "uuid(\(uuid))"
        }
    }

    /// Parses a header from `bytes` (which start at file offset `offset`) inside a parent that has
    /// `available` bytes from `offset` on. Never trusts the size field: zero, too small, or larger than
    /// `available` is an error (`truncated` at top level, `overlapping` inside a parent).
    static func parse(
        _ bytes: [UInt8], at index: Int, offset: Int64, available: Int64,
        path: String, topLevel: Bool
    ) throws -> BoxHeader {
        let have = min(Int64(bytes.count - index), available)
        func fail(_ code: MP4Error.Code, _ type: FourCC, _ detail: String) -> MP4Error {
            MP4Error(
                code: code, box: type, path: path.isEmpty ? "\(type)" : "\(path)/\(type)",
                offset: offset, detail: detail)
        }
        guard have >= 8 else {
            throw fail(topLevel ? .truncated : .overlapping, "????", "\(have) bytes left, a box header needs 8")
        }
        func u32(_ i: Int) -> UInt32 {
            (UInt32(bytes[i]) << 24) | (UInt32(bytes[i + 1]) << 16) | (UInt32(bytes[i + 2]) << 8) | UInt32(bytes[i + 3])
        }
        let size32 = u32(index)
        let type = FourCC(rawValue: u32(index + 4))
        var size = Int64(size32)
        var headerSize = 8
        if size32 == 0 { throw fail(.zeroSize, type, "size 0 (box to end of file) is not accepted") }
        if size32 == 1 {
            guard have >= 16 else { throw fail(topLevel ? .truncated : .overlapping, type, "largesize cut off") }
            let large = UInt64(u32(index + 8)) << 32 | UInt64(u32(index + 12))
            guard large <= UInt64(Int64.max) else { throw fail(.badSize, type, "largesize \(large)") }
            size = Int64(large)
            headerSize = 16
        }
        var uuid: BoxUUID?
        if type == "uuid" {
            guard have >= Int64(headerSize + 16) else {
                throw fail(topLevel ? .truncated : .overlapping, type, "uuid extended type cut off")
            }
            uuid = BoxUUID(Array(bytes[(index + headerSize)..<(index + headerSize + 16)]))
            headerSize += 16
        }
        guard size >= Int64(headerSize) else { throw fail(.badSize, type, "size \(size) < header \(headerSize)") }
        guard size <= available else {
            throw fail(
                topLevel ? .truncated : .overlapping, type,
                "size \(size) exceeds the \(available) bytes \(topLevel ? "left in the data" : "left in the parent")")
        }
        return BoxHeader(type: type, uuid: uuid, offset: offset, size: size, headerSize: headerSize)
    }
}

/// Bounds-checked big-endian reader over a box body. Every read checks the box's end; a box's
/// children are read with ``nextBox()``, which never trusts a size field. Allocations are bounded by
/// the bytes actually present.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    /// Index of the next byte to read.
    public private(set) var position: Int
    /// Index one past the last readable byte.
    public let end: Int
    /// File offset of `bytes[0]`.
    private let base: Int64
    /// Box path of the box being read, e.g. `moof/traf`.
    public let path: String
    /// The box being read.
    public let box: FourCC
    private let topLevel: Bool

    /// A reader over a whole buffer whose first byte is at `fileOffset` in its file.
    public init(_ bytes: [UInt8], fileOffset: Int64 = 0) {
        self.init(bytes: bytes, position: 0, end: bytes.count, base: fileOffset, path: "", box: "    ", topLevel: true)
    }

    private init(bytes: [UInt8], position: Int, end: Int, base: Int64, path: String, box: FourCC, topLevel: Bool) {
        self.bytes = bytes
        self.position = position
        self.end = end
        self.base = base
        self.path = path
        self.box = box
        self.topLevel = topLevel
    }

    /// Bytes left before the end of the box.
    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }
    /// File offset of the next byte.
    public var fileOffset: Int64 { base + Int64(position) }

    /// An error located at the current position of this box.
    public func error(_ code: MP4Error.Code, _ detail: String) -> MP4Error {
        MP4Error(code: code, box: box, path: path, offset: fileOffset, detail: detail)
    }

    private mutating func take(_ n: Int) throws -> Int {
        guard n >= 0, n <= remaining else { throw error(.overread, "needs \(n) bytes, \(remaining) left") }
        defer { position += n }
        return position
    }

    public mutating func readUInt8() throws -> UInt8 { bytes[try take(1)] }
    public mutating func readUInt16() throws -> UInt16 {
        let i = try take(2)
        return UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
    }
    public mutating func readUInt24() throws -> UInt32 {
        let i = try take(3)
        return UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
    }
    public mutating func readUInt32() throws -> UInt32 {
        let i = try take(4)
        return UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }
    public mutating func readUInt64() throws -> UInt64 {
        let hi = try readUInt32()
        return UInt64(hi) << 32 | UInt64(try readUInt32())
    }
    public mutating func readInt16() throws -> Int16 { Int16(bitPattern: try readUInt16()) }
    public mutating func readInt32() throws -> Int32 { Int32(bitPattern: try readUInt32()) }
    public mutating func readInt64() throws -> Int64 { Int64(bitPattern: try readUInt64()) }
    public mutating func readFourCC() throws -> FourCC { FourCC(rawValue: try readUInt32()) }
    /// Reads `n` bytes; `n` is checked against the bytes left before anything is allocated.
    public mutating func readBytes(_ n: Int) throws -> [UInt8] {
        let i = try take(n)
        return Array(bytes[i..<(i + n)])
    }
    /// Reads everything up to the end of the box.
    public mutating func readRest() throws -> [UInt8] { try readBytes(remaining) }
    public mutating func skip(_ n: Int) throws { _ = try take(n) }
    /// A reader limited to the next `n` bytes (a descriptor or record inside a box); this reader skips them.
    public mutating func readSubReader(_ n: Int) throws -> ByteReader {
        let start = try take(n)
        return ByteReader(
            bytes: bytes, position: start, end: start + n, base: base, path: path, box: box,
            topLevel: false)
    }
    /// Reads the version/flags word of a full box.
    public mutating func readVersionFlags() throws -> VersionFlags {
        let word = try readUInt32()
        return VersionFlags(version: UInt8(word >> 24), flags: word & 0xFF_FFFF)
    }
    /// The most entries any count field read from a file may announce (sample, chunk, fragment, child and
    /// descriptor counts alike): about 19 hours of 60 fps video in one table. Whatever the bytes say, no
    /// table the reader builds holds more, so no allocation it makes is sized above this many entries.
    public static let maxEntryCount = 1 << 22

    /// The most entries with no encoded fields a count may announce (a `trun` whose samples take every value
    /// from the `tfhd` defaults, as other muxers write for constant-size audio or one-sample text fragments).
    /// Such entries occupy no bytes, so the bytes left cannot bound them; this smaller cap does (64 Ki samples
    /// is over 20 minutes of 48 kHz AAC in one fragment).
    public static let maxFieldlessEntryCount = 1 << 16

    /// The one check every count read from a file goes through before anything is allocated or looped over:
    /// `count` entries of `entrySize` bytes must fit in the rest of the box and `count` must not exceed
    /// ``maxEntryCount``; entries with no encoded fields (`entrySize` 0) are bounded by
    /// ``maxFieldlessEntryCount`` instead. Throws `overread` or `boxTooLarge`; returns the count as `Int`.
    public func boundedCount(_ count: UInt64, entrySize: Int, what: String = "entries") throws -> Int {
        let cap = entrySize > 0 ? Self.maxEntryCount : Self.maxFieldlessEntryCount
        guard count <= UInt64(cap) else {
            throw error(.boxTooLarge, "\(count) \(what) exceed the cap of \(cap)")
        }
        guard entrySize > 0 else { return Int(count) }
        // count ≤ 2^22 and entrySize ≤ Int.max, but entrySize may be absurd: compare without multiplying.
        guard count <= UInt64(remaining) / UInt64(entrySize) else {
            throw error(.overread, "\(count) \(what) of \(entrySize) bytes do not fit in \(remaining) bytes")
        }
        return Int(count)
    }

    /// Reads a 32-bit count field and checks it with ``boundedCount(_:entrySize:what:)``.
    public mutating func readCount(entrySize: Int, what: String = "entries") throws -> Int {
        let count = try readUInt32()
        return try boundedCount(UInt64(count), entrySize: entrySize, what: what)
    }

    /// Throws `trailingBytes` unless the whole box was consumed.
    public func expectEnd() throws {
        guard isAtEnd else { throw error(.trailingBytes, "\(remaining) unread bytes") }
    }
    /// Throws `invalidValue` for a version this reader does not know.
    public func expectVersion(_ vf: VersionFlags, in versions: ClosedRange<UInt8>) throws {
        guard versions.contains(vf.version) else { throw error(.invalidValue, "unsupported version \(vf.version)") }
    }

    /// The next child box: its header and a reader limited to its body; nil at the end of this box.
    public mutating func nextBox() throws -> (header: BoxHeader, body: ByteReader)? {
        guard !isAtEnd else { return nil }
        let header = try BoxHeader.parse(
            bytes, at: position, offset: fileOffset, available: Int64(remaining),
            path: path, topLevel: topLevel)
        let bodyStart = position + header.headerSize
        let bodyEnd = position + Int(header.size)
        let childPath = path.isEmpty ? header.displayName : "\(path)/\(header.displayName)"
        let body = ByteReader(
            bytes: bytes, position: bodyStart, end: bodyEnd, base: base, path: childPath,
            box: header.type, topLevel: false)
        position = bodyEnd
        return (header, body)
    }

    /// All remaining child boxes (at most ``maxEntryCount``; each has at least an 8-byte header).
    public mutating func children() throws -> [(header: BoxHeader, body: ByteReader)] {
        var out: [(header: BoxHeader, body: ByteReader)] = []
        while let child = try nextBox() {
            out.append(child)
            guard out.count <= Self.maxEntryCount else {
                throw error(.boxTooLarge, "more than \(Self.maxEntryCount) child boxes")
            }
        }
        return out
    }

    /// The children of a full box whose body is `entry_count:u32` followed by exactly that many child
    /// boxes (`dref`, `stsd`), each at least `minimumEntrySize` bytes.
    public mutating func countedChildren(minimumEntrySize: Int) throws -> [(header: BoxHeader, body: ByteReader)] {
        let count = try readCount(entrySize: max(minimumEntrySize, 8), what: "child boxes")
        let children = try children()
        guard children.count == count else {
            throw error(.invalidValue, "entry_count \(count) but \(children.count) entries")
        }
        return children
    }
}
