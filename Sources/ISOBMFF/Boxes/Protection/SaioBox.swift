/// 'saio' Sample Auxiliary Information Offsets box — ISO/IEC 14496-12 §8.7.9: where the `cenc` auxiliary
/// information of the fragment starts. One entry (all of it is contiguous, inside `senc`), relative to the
/// `moof`'s first byte (our `tfhd` has no base-data-offset and the traf is the first of its moof).
public struct SaioBox: Box {
    public static let type: FourCC = "saio"
    public var offsets: [UInt64]

    public init(offsets: [UInt64]) { self.offsets = offsets }

    public func write(to w: inout ByteWriter) throws {
        let wide = offsets.contains { $0 > UInt64(UInt32.max) }
        try w.fullBox(Self.type) { w in
            w.write(UInt32(offsets.count))
            for o in offsets { if wide { w.write(o) } else { w.write(UInt32(o)) } }
            return VersionFlags(version: wide ? 1 : 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        if vf.flags & 1 != 0 { try r.skip(8) }
        let count = try r.readCount(entrySize: vf.version == 1 ? 8 : 4, what: "offsets")
        offsets = try (0..<count).map { _ in vf.version == 1 ? try r.readUInt64() : UInt64(try r.readUInt32()) }
    }
}
