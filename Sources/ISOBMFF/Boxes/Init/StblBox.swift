/// 'stbl' Sample Table box — ISO/IEC 14496-12 §8.5.1. In a fragmented file all tables are empty
/// except `stsd` (docs/format.md §1.3: stsd, stts, stsc, stsz, stco).
public struct StblBox: Box {
    public static let type: FourCC = "stbl"
    public var stsd: StsdBox
    public var stts = SttsBox()
    public var stsc = StscBox()
    public var stsz = StszBox()
    public var stco = StcoBox()

    public init(stsd: StsdBox) { self.stsd = stsd }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try stsd.write(to: &w)
            try stts.write(to: &w)
            try stsc.write(to: &w)
            try stsz.write(to: &w)
            try stco.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        stsd = try r.required(StsdBox.self, in: children)
        stts = try r.optional(SttsBox.self, in: children) ?? SttsBox()
        stsc = try r.optional(StscBox.self, in: children) ?? StscBox()
        stsz = try r.optional(StszBox.self, in: children) ?? StszBox()
        stco = try r.optional(StcoBox.self, in: children) ?? StcoBox()
    }
}
