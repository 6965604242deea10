/// 'tkhd' Track Header box — ISO/IEC 14496-12 §8.3.2; docs/format.md §1.3: version 1, flags 7
/// (enabled, in movie, in preview) derived from the three booleans.
public struct TkhdBox: Box {
    public static let type: FourCC = "tkhd"
    public var isEnabled = true  // flag 0x01
    public var isInMovie = true  // flag 0x02
    public var isInPreview = true  // flag 0x04
    public var creationTime: UInt64 = 0
    public var modificationTime: UInt64 = 0
    public var trackID: UInt32
    /// Duration in the mvhd timescale; all-ones = unknown (what FFmpeg writes for fragmented files).
    public var duration: UInt64
    public var layer: Int16 = 0
    public var alternateGroup: Int16 = 0
    /// 8.8 fixed: 0x0100 for audio, 0 for video.
    public var volume: Int16
    public var matrix: [Int32] = MvhdBox.unityMatrix
    /// 16.16 fixed-point presentation size (0 for audio).
    public var width: UInt32
    public var height: UInt32

    public init(trackID: UInt32, duration: UInt64 = .max, volume: Int16, width: UInt32 = 0, height: UInt32 = 0) {
        self.trackID = trackID
        self.duration = duration
        self.volume = volume
        self.width = width
        self.height = height
    }

    public func write(to w: inout ByteWriter) throws {
        precondition(matrix.count == 9, "tkhd matrix has 9 entries")
        try w.fullBox(Self.type) { w in
            w.write(creationTime)
            w.write(modificationTime)
            w.write(trackID)
            w.zeros(4)
            w.write(duration)
            w.zeros(8)
            w.write(layer)
            w.write(alternateGroup)
            w.write(volume)
            w.zeros(2)
            for m in matrix { w.write(m) }
            w.write(width)
            w.write(height)
            let flags: UInt32 = (isEnabled ? 1 : 0) | (isInMovie ? 2 : 0) | (isInPreview ? 4 : 0)
            return VersionFlags(version: 1, flags: flags)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        isEnabled = vf.flags & 1 != 0
        isInMovie = vf.flags & 2 != 0
        isInPreview = vf.flags & 4 != 0
        if vf.version == 1 {
            creationTime = try r.readUInt64()
            modificationTime = try r.readUInt64()
            trackID = try r.readUInt32()
            try r.skip(4)
            duration = try r.readUInt64()
        } else {
            creationTime = UInt64(try r.readUInt32())
            modificationTime = UInt64(try r.readUInt32())
            trackID = try r.readUInt32()
            try r.skip(4)
            let d = try r.readUInt32()
            duration = d == .max ? .max : UInt64(d)
        }
        try r.skip(8)
        layer = try r.readInt16()
        alternateGroup = try r.readInt16()
        volume = try r.readInt16()
        try r.skip(2)
        matrix = try (0..<9).map { _ in try r.readInt32() }
        width = try r.readUInt32()
        height = try r.readUInt32()
    }
}
