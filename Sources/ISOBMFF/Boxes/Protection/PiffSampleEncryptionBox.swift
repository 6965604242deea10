/// PIFF 1.1 Sample Encryption box (`uuid` A2394F52-5A9B-4F14-A244-6C427C648DF4) — PIFF 1.1 §5.3.2.1: the
/// same body as `senc` (flag 0x2: subsample maps), read by Smooth Streaming (PlayReady) clients. Flag 0x1
/// would override the track's algorithm, IV size and KID; it is read but never written (docs/format.md §12.3).
public struct PiffSampleEncryptionBox: Box {
    public static let type: FourCC = "uuid"
    public static var extendedType: BoxUUID? { .piffSampleEncryption }
    public var entries: [SampleEncryptionEntry]
    /// Flag 0x1: AlgorithmID (24 bits), IV size, KID.
    public var override: (algorithmID: UInt32, ivSize: UInt8, kid: [UInt8])? = nil

    public init(entries: [SampleEncryptionEntry]) { self.entries = entries }

    public static func == (a: Self, b: Self) -> Bool {
        a.entries == b.entries && a.override?.algorithmID == b.override?.algorithmID
            && a.override?.ivSize == b.override?.ivSize && a.override?.kid == b.override?.kid
    }

    public func write(to w: inout ByteWriter) throws {
        try w.uuidFullBox(.piffSampleEncryption) { w in
            VersionFlags(version: 0, flags: try SampleEncryptionBody.write(entries, to: &w, path: "traf/uuid(PIFF senc)"))
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        var known: Int?
        if vf.flags & 0x01 != 0 {
            let algorithm = try r.readUInt24()
            let size = try r.readUInt8()
            override = (algorithm, size, try r.readBytes(16))
            known = Int(size)
        }
        entries = try SampleEncryptionBody.read(&r, flags: vf.flags, ivSize: known).entries
    }
}

extension BoxUUID {
    /// PIFF 1.1 Sample Encryption box: `A2394F52-5A9B-4F14-A244-6C427C648DF4`.
    public static let piffSampleEncryption = BoxUUID([
        0xA2, 0x39, 0x4F, 0x52, 0x5A, 0x9B, 0x4F, 0x14,
        0xA2, 0x44, 0x6C, 0x42, 0x7C, 0x64, 0x8D, 0xF4,
    ])
}
