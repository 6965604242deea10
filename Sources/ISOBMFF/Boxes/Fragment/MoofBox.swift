/// 'moof' Movie Fragment box — ISO/IEC 14496-12 §8.8.4; docs/format.md §1.5: `mfhd` then exactly one
/// `traf` (a list is kept so the reader and checker can see files that break the rule).
public struct MoofBox: Box {
    public static let type: FourCC = "moof"
    public var mfhd: MfhdBox
    public var trafs: [TrafBox]

    public init(mfhd: MfhdBox, trafs: [TrafBox]) {
        self.mfhd = mfhd
        self.trafs = trafs
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try mfhd.write(to: &w)
            for t in trafs { try t.write(to: &w) }
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        mfhd = try r.required(MfhdBox.self, in: children)
        trafs = try r.all(TrafBox.self, in: children)
    }
}
