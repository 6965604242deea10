/// 'tfdt' Track Fragment Base Media Decode Time box — ISO/IEC 14496-12 §8.8.12: the decode time of
/// the fragment's first sample in the track's timescale (10 MHz here, so the same value as the PIFF
/// `tfxd` time and the manifest `t`). Written as version 1 (64-bit) beside `tfxd` so that DASH/HLS
/// players (MSE, dashdemux, hlsdemux) can place the fragment on the timeline (docs/format.md §1.5).
public struct TfdtBox: Box {
    public static let type: FourCC = "tfdt"
    /// baseMediaDecodeTime in mdhd timescale units.
    public var baseMediaDecodeTime: UInt64

    public init(baseMediaDecodeTime: UInt64) { self.baseMediaDecodeTime = baseMediaDecodeTime }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(baseMediaDecodeTime)
            return VersionFlags(version: 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        baseMediaDecodeTime = vf.version == 1 ? try r.readUInt64() : UInt64(try r.readUInt32())
    }
}
