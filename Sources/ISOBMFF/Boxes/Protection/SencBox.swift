/// 'senc' Sample Encryption box — ISO/IEC 23001-7 §7.2: in each `traf`, the IV and subsample map of
/// every sample of the fragment (flag 0x2 when maps are present). `saiz`/`saio` point at the same bytes.
public struct SencBox: Box {
    public static let type: FourCC = "senc"
    public var entries: [SampleEncryptionEntry]

    public init(entries: [SampleEncryptionEntry]) { self.entries = entries }

    /// Offset of the first entry from the start of the box: header, version/flags, sample count.
    public static let firstEntryOffset = 16

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            VersionFlags(version: 0, flags: try SampleEncryptionBody.write(entries, to: &w, path: "traf/senc"))
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        entries = try SampleEncryptionBody.read(&r, flags: vf.flags).entries
    }
}
