/// PIFF Track Fragment Extended Header (`uuid` 6D1D9B05-42D5-44E6-80E2-141DAFF757B2) — MS-SSTR
/// §2.2.4.4; docs/format.md §1.5 "tfxd": the fragment's absolute time and duration (manifest `t` and `d`).
/// Policy `alwaysVersion1`: written as version 1 (64-bit, 44 bytes) like FFmpeg and nginx-vod.
public struct TfxdBox: Box {
    public static let type: FourCC = "uuid"
    public static var extendedType: BoxUUID? { .tfxd }
    /// Named policy: always write version 1 (64-bit fields).
    public static let alwaysVersion1 = true
    /// FragmentAbsoluteTime in 10 MHz units.
    public var time: UInt64
    /// FragmentDuration in 10 MHz units (= sum of the trun durations).
    public var duration: UInt64

    public init(time: UInt64, duration: UInt64) {
        self.time = time
        self.duration = duration
    }

    public func write(to w: inout ByteWriter) throws {
        try w.uuidFullBox(.tfxd) { w in
            w.write(time)
            w.write(duration)
            return VersionFlags(version: 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        if vf.version == 1 {
            time = try r.readUInt64()
            duration = try r.readUInt64()
        } else {
            time = UInt64(try r.readUInt32())
            duration = UInt64(try r.readUInt32())
        }
    }
}
