/// 'schi' Scheme Information box — ISO/IEC 14496-12 §8.12.6: for `cenc`, holds the `tenc`.
public struct SchiBox: Box {
    public static let type: FourCC = "schi"
    public var tenc: TencBox?

    public init(tenc: TencBox?) { self.tenc = tenc }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in try tenc?.write(to: &w) }
    }

    public init(body r: inout ByteReader) throws {
        tenc = try r.optional(TencBox.self, in: try r.children())
    }
}
