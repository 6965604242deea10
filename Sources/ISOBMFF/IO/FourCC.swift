/// A four-character code naming a box type (ISO/IEC 14496-12 §4.2), stored big-endian in a `UInt32`.
public struct FourCC: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The code as it appears on the wire, big-endian.
    public var rawValue: UInt32

    /// Wraps a raw big-endian code.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Creates a code from exactly four ASCII characters; anything else is a programmer error.
    public init(stringLiteral value: String) {
        let bytes = Array(value.utf8)
        precondition(bytes.count == 4, "a FourCC has exactly four ASCII bytes: \(value)")
        rawValue = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The four bytes, printable ASCII kept and others shown as `.`.
    public var description: String {
        let bytes = [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: rawValue >> UInt32($0)) }
        return String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
    }
}

/// A 16-byte UUID as used by `uuid` extended-type boxes (ISO/IEC 14496-12 §4.2, PIFF).
public struct BoxUUID: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes in wire order.
    public var bytes: [UInt8]

    /// Wraps 16 bytes; another length is a programmer error.
    public init(_ bytes: [UInt8]) {
        precondition(bytes.count == 16, "a UUID has 16 bytes")
        self.bytes = bytes
    }

    /// Canonical upper-case text form `8-4-4-4-12`.
    public var description: String {
        let hex = bytes.map { hexByte($0) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(
            separator: "-")
    }

    /// PIFF Track Fragment Extended Header, MS-SSTR §2.2.4.4: `6D1D9B05-42D5-44E6-80E2-141DAFF757B2`.
    public static let tfxd = BoxUUID([
        0x6D, 0x1D, 0x9B, 0x05, 0x42, 0xD5, 0x44, 0xE6,
        0x80, 0xE2, 0x14, 0x1D, 0xAF, 0xF7, 0x57, 0xB2,
    ])
    /// PIFF Track Fragment Reference box (live only), MS-SSTR §2.2.4.5: `D4807EF2-CA39-4695-8E54-26CB9E46A79F`.
    public static let tfrf = BoxUUID([
        0xD4, 0x80, 0x7E, 0xF2, 0xCA, 0x39, 0x46, 0x95,
        0x8E, 0x54, 0x26, 0xCB, 0x9E, 0x46, 0xA7, 0x9F,
    ])
}

/// Two upper-case hex digits.
func hexByte(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(b >> 4)], digits[Int(b & 0x0F)]])
}

/// Upper-case hex text of a byte sequence.
func hexString(_ bytes: some Sequence<UInt8>) -> String { bytes.map(hexByte).joined() }
