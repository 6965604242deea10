/// 'mp4a' MPEG-4 audio sample entry — ISO/IEC 14496-14 §6.7 / ISO/IEC 14496-12 §12.2.3; docs/format.md
/// §1.3 "Audio sample entry": channel count, sample size 16, rate as 16.16, then `esds`.
public struct Mp4aSampleEntry: Box {
    public static let type: FourCC = "mp4a"
    public var dataReferenceIndex: UInt16 = 1
    public var channelCount: UInt16
    public var sampleSize: UInt16 = 16
    /// Sample rate in Hz (written as `rate << 16`; at most 65535).
    public var sampleRate: UInt32
    public var esds: EsdsBox
    /// Common Encryption: with a `sinf` the entry is written as `enca` (ISO/IEC 23001-7 §4.1).
    public var sinf: SinfBox? = nil

    public init(channelCount: UInt16, sampleRate: UInt32, esds: EsdsBox) {
        self.channelCount = channelCount
        self.sampleRate = sampleRate
        self.esds = esds
    }

    public func write(to w: inout ByteWriter) throws {
        guard sampleRate <= 0xFFFF else {
            throw MP4Error(
                code: .invalidValue, box: Self.type, path: "mp4a", detail: "sample rate \(sampleRate) > 65535")
        }
        try w.box(sinf == nil ? Self.type : "enca") { w in
            w.zeros(6)
            w.write(dataReferenceIndex)
            w.zeros(8)  // reserved (QuickTime version/revision/vendor = 0)
            w.write(channelCount)
            w.write(sampleSize)
            w.zeros(4)  // pre_defined, reserved
            w.write(sampleRate << 16)
            try esds.write(to: &w)
            try sinf?.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        try r.skip(6)
        dataReferenceIndex = try r.readUInt16()
        let soundVersion = try r.readUInt16()
        try r.skip(6)
        channelCount = try r.readUInt16()
        sampleSize = try r.readUInt16()
        try r.skip(4)
        sampleRate = try r.readUInt32() >> 16
        switch soundVersion {  // QuickTime sound description extensions
        case 0: break
        case 1: try r.skip(16)
        case 2: try r.skip(36)
        default: throw r.error(.invalidValue, "sound description version \(soundVersion)")
        }
        let children = try r.children()
        esds = try r.required(EsdsBox.self, in: children)
        sinf = try r.optional(SinfBox.self, in: children)
    }
}
