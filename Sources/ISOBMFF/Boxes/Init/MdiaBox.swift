/// 'mdia' Media box — ISO/IEC 14496-12 §8.4.1: `mdhd`, `hdlr`, `minf`.
public struct MdiaBox: Box {
    public static let type: FourCC = "mdia"
    public var mdhd: MdhdBox
    public var hdlr: HdlrBox
    public var minf: MinfBox

    public init(mdhd: MdhdBox, hdlr: HdlrBox, minf: MinfBox) {
        self.mdhd = mdhd
        self.hdlr = hdlr
        self.minf = minf
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try mdhd.write(to: &w)
            try hdlr.write(to: &w)
            try minf.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        mdhd = try r.required(MdhdBox.self, in: children)
        hdlr = try r.required(HdlrBox.self, in: children)
        minf = try r.required(MinfBox.self, in: children)
    }
}
