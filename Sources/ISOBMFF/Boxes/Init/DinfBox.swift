/// 'dinf' Data Information box — ISO/IEC 14496-12 §8.7.1; holds the `dref`.
public struct DinfBox: Box {
    public static let type: FourCC = "dinf"
    public var dref: DrefBox

    public init(dref: DrefBox = DrefBox()) { self.dref = dref }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in try dref.write(to: &w) }
    }

    public init(body r: inout ByteReader) throws {
        dref = try r.required(DrefBox.self, in: try r.children())
    }
}
