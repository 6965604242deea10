/// 'trak' Track box — ISO/IEC 14496-12 §8.3.1: `tkhd` + `mdia` (no `edts`, docs/format.md §7.3).
public struct TrakBox: Box {
    public static let type: FourCC = "trak"
    public var tkhd: TkhdBox
    public var mdia: MdiaBox

    public init(tkhd: TkhdBox, mdia: MdiaBox) {
        self.tkhd = tkhd
        self.mdia = mdia
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try tkhd.write(to: &w)
            try mdia.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        tkhd = try r.required(TkhdBox.self, in: children)
        mdia = try r.required(MdiaBox.self, in: children)
    }
}
