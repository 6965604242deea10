/// The version byte and 24-bit flags of a full box (ISO/IEC 14496-12 §4.2), returned by a
/// ``ByteWriter/fullBox(_:_:)`` body so that both are derived from what the body wrote.
public struct VersionFlags: Sendable, Equatable {
    public var version: UInt8
    public var flags: UInt32

    public init(version: UInt8, flags: UInt32) {
        precondition(flags <= 0xFF_FFFF, "full-box flags are 24 bits")
        self.version = version
        self.flags = flags
    }
}

/// Big-endian byte writer for box headers and payloads. Box sizes and full-box version/flags are
/// written as placeholders and back-patched once the body is known (style.md "The writer back-patches").
public struct ByteWriter: Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// Number of bytes written.
    public var count: Int { bytes.count }

    public mutating func write(_ v: UInt8) { bytes.append(v) }
    public mutating func write(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    public mutating func write(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift)))
        }
    }
    public mutating func write(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift)))
        }
    }
    public mutating func write(_ v: Int16) { write(UInt16(bitPattern: v)) }
    public mutating func write(_ v: Int32) { write(UInt32(bitPattern: v)) }
    public mutating func write(_ v: Int64) { write(UInt64(bitPattern: v)) }
    /// Writes the low 24 bits of `v`, big-endian.
    public mutating func writeUInt24(_ v: UInt32) {
        precondition(v <= 0xFF_FFFF, "value does not fit in 24 bits")
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    public mutating func write(_ v: FourCC) { write(v.rawValue) }
    public mutating func write(_ v: some Sequence<UInt8>) { bytes.append(contentsOf: v) }
    /// Writes `count` zero bytes.
    public mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    /// Overwrites 4 bytes at `offset` with `v` (size back-patching).
    public mutating func patch(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= bytes.count, "patch outside the written bytes")
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt32(24 - 8 * i)) }
    }

    /// Writes a box: 32-bit size placeholder, type, the body, then patches the size
    /// (ISO/IEC 14496-12 §4.2). Throws `boxTooLarge` if the box exceeds 4 GiB − 1.
    public mutating func box(_ type: FourCC, _ body: (inout ByteWriter) throws -> Void) throws {
        let start = count
        write(UInt32(0))
        write(type)
        try body(&self)
        guard let size = UInt32(exactly: count - start) else {
            throw MP4Error(code: .boxTooLarge, box: type, detail: "\(count - start) bytes")
        }
        patch(size, at: start)
    }

    /// Writes a `uuid` box with the given extended type (ISO/IEC 14496-12 §4.2, PIFF §5) whose body
    /// is a full box; the version/flags word is back-patched from the body's return value.
    public mutating func uuidFullBox(_ uuid: BoxUUID, _ body: (inout ByteWriter) throws -> VersionFlags) throws {
        try box("uuid") { w in
            w.write(uuid.bytes)
            try w.versionFlagsBody(body)
        }
    }

    /// Writes a full box: header, a version/flags placeholder, the body, then patches version and
    /// flags from the body's return value and the size (ISO/IEC 14496-12 §4.2).
    public mutating func fullBox(_ type: FourCC, _ body: (inout ByteWriter) throws -> VersionFlags) throws {
        try box(type) { w in try w.versionFlagsBody(body) }
    }

    private mutating func versionFlagsBody(_ body: (inout ByteWriter) throws -> VersionFlags) throws {
        let at = count
        write(UInt32(0))
        let vf = try body(&self)
        patch(UInt32(vf.version) << 24 | vf.flags, at: at)
    }
}
