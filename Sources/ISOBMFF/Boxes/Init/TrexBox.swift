/// 'trex' Track Extends box — ISO/IEC 14496-12 §8.8.3; all defaults 0 (docs/format.md §1.3), so
/// every moof carries its own durations, sizes and flags.
public struct TrexBox: Box {
    public static let type: FourCC = "trex"
    public var trackID: UInt32
    public var defaultSampleDescriptionIndex: UInt32 = 1
    public var defaultSampleDuration: UInt32 = 0
    public var defaultSampleSize: UInt32 = 0
    public var defaultSampleFlags: UInt32 = 0

    public init(trackID: UInt32) { self.trackID = trackID }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(trackID)
            w.write(defaultSampleDescriptionIndex)
            w.write(defaultSampleDuration)
            w.write(defaultSampleSize)
            w.write(defaultSampleFlags)
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        trackID = try r.readUInt32()
        defaultSampleDescriptionIndex = try r.readUInt32()
        defaultSampleDuration = try r.readUInt32()
        defaultSampleSize = try r.readUInt32()
        defaultSampleFlags = try r.readUInt32()
    }
}
