internal import Platform
/// A 16-byte key identifier (KID) in the byte order of ISO/IEC 23001-7 (`tenc` default_KID, `pssh` KID
/// lists, the MPD's `cenc:default_KID`): the UUID's bytes as written in its text form.
public struct KeyID: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The 16 bytes in text (big-endian UUID) order.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(ProtectionError) {
        guard bytes.count == 16 else { throw .invalidKeyID("a key ID has 16 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// Parses 32 hex digits, with or without the UUID dashes (`0123…` or `01234567-89ab-…`).
    public init(hex text: String) throws(ProtectionError) {
        guard let b = Hex.decode(text.replacingDashes()), b.count == 16 else {
            throw .invalidKeyID("KID must be 32 hex digits (dashes allowed), got \"\(text.prefix(40))\"")
        }
        bytes = b
    }

    /// Lower-case UUID text `01234567-89ab-cdef-0123-456789abcdef` (the MPD's `default_KID` form).
    public var uuidString: String {
        let h = Hex.lower(bytes)
        let c = Array(h)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(c[$0]) }.joined(separator: "-")
    }

    /// 32 lower-case hex digits.
    public var hex: String { Hex.lower(bytes) }

    /// The KID in PlayReady's (Microsoft GUID) byte order: the first three fields little-endian
    /// (bytes 0-3, 4-5 and 6-7 reversed), the last eight bytes as they are (docs/format.md §12.4).
    public var guidBytes: [UInt8] {
        [bytes[3], bytes[2], bytes[1], bytes[0], bytes[5], bytes[4], bytes[7], bytes[6]] + bytes[8..<16]
    }

    public var description: String { uuidString }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try KeyID(hex: text) } catch { throw error }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(uuidString)
    }
}

/// A 16-byte AES content key. Its text forms never show the bytes (`description`, `debugDescription`
/// and `dump` print `<redacted>`), so a key cannot reach a log, `--json` or an error message by accident.
public struct SecretKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The key bytes: only for the cipher and the PlayReady checksum.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(ProtectionError) {
        guard bytes.count == 16 else { throw .invalidKey("a content key has 16 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// Parses 32 hex digits. The error never repeats the text (it may be a real key with a typo).
    public init(hex text: String) throws(ProtectionError) {
        guard let b = Hex.decode(text), b.count == 16 else {
            throw .invalidKey("KEY must be 32 hex digits (\(text.count) characters given)")
        }
        bytes = b
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// A key ID with its content key.
public struct ContentKey: Sendable, Hashable, CustomStringConvertible {
    public var kid: KeyID
    public var key: SecretKey

    public init(kid: KeyID, key: SecretKey) {
        self.kid = kid
        self.key = key
    }

    /// Parses `KID:KEY` (32 hex digits each; the KID may carry UUID dashes).
    public init(argument text: String) throws(ProtectionError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidKey("expected KID:KEY (two groups of 32 hex digits)") }
        kid = try KeyID(hex: String(parts[0]))
        key = try SecretKey(hex: String(parts[1]))
    }

    /// Only the key ID: `kid=…`.
    public var description: String { "kid=\(kid.uuidString)" }
}

/// Why protection settings or keys were refused. Messages name the KID at most, never a key.
public enum ProtectionError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidKeyID(String)
    case invalidKey(String)
    case invalidKeyFile(String)
    case invalidSettings(String)
    case keyServer(String)

    public var description: String {
        switch self {
        case .invalidKeyID(let m), .invalidKey(let m), .invalidSettings(let m): m
        case .invalidKeyFile(let m): "key file: \(m)"
        case .keyServer(let m): "key server: \(m)"
        }
    }
}


extension String {
    func replacingDashes() -> String { String(filter { $0 != "-" }) }
}
