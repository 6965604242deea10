/// 'mvex' Movie Extends box — ISO/IEC 14496-12 §8.8.1; one zero-default `trex` per track
/// (docs/format.md §1.3), optional `mehd`.
public struct MvexBox: Box {
    public static let type: FourCC = "mvex"
    public var trex: [TrexBox]

    public init(trex: [TrexBox]) { self.trex = trex }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in for t in trex { try t.write(to: &w) } }
    }

    public init(body r: inout ByteReader) throws {
        trex = try r.all(TrexBox.self, in: try r.children())
    }
}
