/// 'traf' Track Fragment box — ISO/IEC 14496-12 §8.8.6; docs/format.md §1.5: `tfhd`, a version-1
/// `tfdt`, exactly one `trun`, then the PIFF `tfxd` uuid box. No `sdtp`, `saio`/`saiz`.
public struct TrafBox: Box {
    public static let type: FourCC = "traf"
    public var tfhd: TfhdBox
    /// Normally exactly one (docs/format.md §6.2 item 9); a list so that other files can be checked.
    public var truns: [TrunBox]
    public var tfxd: TfxdBox?
    /// The fragment's decode time for DASH/HLS players (same value as `tfxd.time`).
    public var tfdt: TfdtBox?
    /// Common Encryption (docs/format.md §12.3): `saiz` + `saio` pointing into `senc`, and the same entries
    /// again in PIFF's sample encryption `uuid` box. All nil for clear tracks.
    public var saiz: SaizBox? = nil
    public var saio: SaioBox? = nil
    public var senc: SencBox? = nil
    public var piffSampleEncryption: PiffSampleEncryptionBox? = nil

    public init(tfhd: TfhdBox, tfdt: TfdtBox? = nil, truns: [TrunBox], tfxd: TfxdBox?) {
        self.tfhd = tfhd
        self.tfdt = tfdt
        self.truns = truns
        self.tfxd = tfxd
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try tfhd.write(to: &w)
            try tfdt?.write(to: &w)
            for t in truns { try t.write(to: &w) }
            try saiz?.write(to: &w)
            try saio?.write(to: &w)
            try senc?.write(to: &w)
            try piffSampleEncryption?.write(to: &w)
            try tfxd?.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        tfhd = try r.required(TfhdBox.self, in: children)
        tfdt = try r.optional(TfdtBox.self, in: children)
        truns = try r.all(TrunBox.self, in: children)
        tfxd = try r.optional(TfxdBox.self, in: children)
        saiz = try r.optional(SaizBox.self, in: children)
        saio = try r.optional(SaioBox.self, in: children)
        senc = try r.optional(SencBox.self, in: children)
        piffSampleEncryption = try r.optional(PiffSampleEncryptionBox.self, in: children)
    }
}
