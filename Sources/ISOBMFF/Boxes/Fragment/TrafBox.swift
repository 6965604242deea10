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
            try tfxd?.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        tfhd = try r.required(TfhdBox.self, in: children)
        tfdt = try r.optional(TfdtBox.self, in: children)
        truns = try r.all(TrunBox.self, in: children)
        tfxd = try r.optional(TfxdBox.self, in: children)
    }
}
