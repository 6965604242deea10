/// 'tfhd' Track Fragment Header box — ISO/IEC 14496-12 §8.8.7; docs/format.md §1.5. Flags come from
/// the optional fields; we write only default-sample-flags (0x000020): video `0x01010000`, audio
/// `0x02000000`. Base-data-offset (0x01) breaks stand-alone fragments and is never written by us.
public struct TfhdBox: Box {
    public static let type: FourCC = "tfhd"
    public var trackID: UInt32
    public var baseDataOffset: UInt64? = nil  // flag 0x000001
    public var sampleDescriptionIndex: UInt32? = nil  // flag 0x000002
    public var defaultSampleDuration: UInt32? = nil  // flag 0x000008
    public var defaultSampleSize: UInt32? = nil  // flag 0x000010
    public var defaultSampleFlags: UInt32? = nil  // flag 0x000020
    public var durationIsEmpty = false  // flag 0x010000
    public var defaultBaseIsMoof = false  // flag 0x020000; reserved in MS-SSTR, keep off

    public init(trackID: UInt32, defaultSampleFlags: UInt32? = nil) {
        self.trackID = trackID
        self.defaultSampleFlags = defaultSampleFlags
    }

    /// Non-sync "depends on others" sample flags used as the video default (docs/format.md §1.5).
    public static let videoDefaultFlags: UInt32 = 0x0101_0000
    /// Sync "depends on no other" sample flags (video first sample, every audio sample).
    public static let syncFlags: UInt32 = 0x0200_0000

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            var flags: UInt32 = (durationIsEmpty ? 0x01_0000 : 0) | (defaultBaseIsMoof ? 0x02_0000 : 0)
            w.write(trackID)
            if let v = baseDataOffset {
                w.write(v)
                flags |= 0x01
            }
            if let v = sampleDescriptionIndex {
                w.write(v)
                flags |= 0x02
            }
            if let v = defaultSampleDuration {
                w.write(v)
                flags |= 0x08
            }
            if let v = defaultSampleSize {
                w.write(v)
                flags |= 0x10
            }
            if let v = defaultSampleFlags {
                w.write(v)
                flags |= 0x20
            }
            return VersionFlags(version: 0, flags: flags)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        trackID = try r.readUInt32()
        if vf.flags & 0x01 != 0 { baseDataOffset = try r.readUInt64() }
        if vf.flags & 0x02 != 0 { sampleDescriptionIndex = try r.readUInt32() }
        if vf.flags & 0x08 != 0 { defaultSampleDuration = try r.readUInt32() }
        if vf.flags & 0x10 != 0 { defaultSampleSize = try r.readUInt32() }
        if vf.flags & 0x20 != 0 { defaultSampleFlags = try r.readUInt32() }
        durationIsEmpty = vf.flags & 0x01_0000 != 0
        defaultBaseIsMoof = vf.flags & 0x02_0000 != 0
    }
}
