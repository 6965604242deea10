/// 'mvhd' Movie Header box — ISO/IEC 14496-12 §8.2.2; docs/format.md §1.3. Always written as
/// version 1 (64-bit times), as yt-dlp and dash.js do.
public struct MvhdBox: Box {
    public static let type: FourCC = "mvhd"
    public var creationTime: UInt64 = 0
    public var modificationTime: UInt64 = 0
    /// Units per second of `duration` (we use 10 000 000).
    public var timescale: UInt32
    /// Presentation duration in `timescale` units; 0 when unknown (FFmpeg writes 0).
    public var duration: UInt64
    public var rate: Int32 = 0x0001_0000
    public var volume: Int16 = 0x0100
    public var matrix: [Int32] = MvhdBox.unityMatrix
    public var nextTrackID: UInt32

    /// The identity transformation matrix of ISO/IEC 14496-12 §8.2.2.3.
    public static let unityMatrix: [Int32] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]

    public init(timescale: UInt32 = 10_000_000, duration: UInt64 = 0, nextTrackID: UInt32) {
        self.timescale = timescale
        self.duration = duration
        self.nextTrackID = nextTrackID
    }

    public func write(to w: inout ByteWriter) throws {
        precondition(matrix.count == 9, "mvhd matrix has 9 entries")
        try w.fullBox(Self.type) { w in
            w.write(creationTime)
            w.write(modificationTime)
            w.write(timescale)
            w.write(duration)
            w.write(rate)
            w.write(volume)
            w.zeros(2 + 8)  // reserved
            for m in matrix { w.write(m) }
            w.zeros(24)  // pre_defined
            w.write(nextTrackID)
            return VersionFlags(version: 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        if vf.version == 1 {
            creationTime = try r.readUInt64()
            modificationTime = try r.readUInt64()
            timescale = try r.readUInt32()
            duration = try r.readUInt64()
        } else {
            creationTime = UInt64(try r.readUInt32())
            modificationTime = UInt64(try r.readUInt32())
            timescale = try r.readUInt32()
            let d = try r.readUInt32()
            duration = d == .max ? .max : UInt64(d)
        }
        rate = try r.readInt32()
        volume = try r.readInt16()
        try r.skip(10)
        matrix = try (0..<9).map { _ in try r.readInt32() }
        try r.skip(24)
        nextTrackID = try r.readUInt32()
    }
}
