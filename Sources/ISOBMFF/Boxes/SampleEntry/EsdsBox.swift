/// 'esds' Elementary Stream Descriptor box — ISO/IEC 14496-14 §5.6 holding an ES_Descriptor
/// (ISO/IEC 14496-1 §7.2.6.5); docs/format.md §1.3: ES_Descriptor → DecoderConfigDescriptor
/// (objectTypeIndication 0x40, stream type byte 0x15) → DecoderSpecificInfo (the AudioSpecificConfig)
/// → SLConfigDescriptor (predefined 2). Descriptor lengths are written in the shortest form.
public struct EsdsBox: Box {
    public static let type: FourCC = "esds"
    public var esID: UInt16 = 0
    /// 0x40 = MPEG-4 Audio.
    public var objectTypeIndication: UInt8 = 0x40
    /// streamType 5 (audio) << 2 | upStream 0 << 1 | reserved 1 = 0x15.
    public var streamTypeByte: UInt8 = 0x15
    public var bufferSizeDB: UInt32 = 0
    public var maxBitrate: UInt32 = 0
    public var avgBitrate: UInt32 = 0
    /// The AudioSpecificConfig (same bytes as the manifest CodecPrivateData, docs/format.md §4.4).
    public var decoderSpecificInfo: [UInt8]

    public init(audioSpecificConfig: [UInt8], maxBitrate: UInt32 = 0, avgBitrate: UInt32 = 0) {
        decoderSpecificInfo = audioSpecificConfig
        self.maxBitrate = maxBitrate
        self.avgBitrate = avgBitrate
    }

    public func write(to w: inout ByteWriter) throws {
        guard bufferSizeDB <= 0xFF_FFFF else {
            throw MP4Error(code: .invalidValue, box: Self.type, path: "esds", detail: "bufferSizeDB > 24 bits")
        }
        var dcd = ByteWriter()
        dcd.write(objectTypeIndication)
        dcd.write(streamTypeByte)
        dcd.writeUInt24(bufferSizeDB)
        dcd.write(maxBitrate)
        dcd.write(avgBitrate)
        Self.descriptor(0x05, decoderSpecificInfo, into: &dcd)
        var es = ByteWriter()
        es.write(esID)
        es.write(UInt8(0))  // no dependsOn / URL / OCR
        Self.descriptor(0x04, dcd.bytes, into: &es)
        Self.descriptor(0x06, [0x02], into: &es)  // SLConfigDescriptor, predefined = 2 (MP4)
        try w.fullBox(Self.type) { w in
            Self.descriptor(0x03, es.bytes, into: &w)
            return VersionFlags(version: 0, flags: 0)
        }
    }

    /// tag, expandable size (ISO/IEC 14496-1 §8.3.3), payload.
    static func descriptor(_ tag: UInt8, _ payload: [UInt8], into w: inout ByteWriter) {
        w.write(tag)
        var groups: [UInt8] = []
        var n = payload.count
        repeat {
            groups.insert(UInt8(n & 0x7F), at: 0)
            n >>= 7
        } while n > 0
        for (i, g) in groups.enumerated() { w.write(i < groups.count - 1 ? g | 0x80 : g) }
        w.write(payload)
    }

    /// Reads one descriptor header and returns its tag and a reader over its payload.
    static func readDescriptor(_ r: inout ByteReader) throws -> (tag: UInt8, body: ByteReader) {
        let tag = try r.readUInt8()
        var length = 0
        for i in 0..<4 {
            let b = try r.readUInt8()
            length = length << 7 | Int(b & 0x7F)
            if b & 0x80 == 0 { break }
            if i == 3 { throw r.error(.invalidValue, "descriptor length longer than 4 bytes") }
        }
        return (tag, try r.readSubReader(length))
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        var (tag, es) = try Self.readDescriptor(&r)
        guard tag == 0x03 else { throw r.error(.invalidValue, "expected ES_Descriptor (3), found tag \(tag)") }
        esID = try es.readUInt16()
        let esFlags = try es.readUInt8()
        if esFlags & 0x80 != 0 { try es.skip(2) }  // dependsOn_ES_ID
        if esFlags & 0x40 != 0 { try es.skip(Int(try es.readUInt8())) }  // URL
        if esFlags & 0x20 != 0 { try es.skip(2) }  // OCR_ES_Id
        var found: [UInt8]?
        while !es.isAtEnd {
            var (childTag, child) = try Self.readDescriptor(&es)
            guard childTag == 0x04 else { continue }
            objectTypeIndication = try child.readUInt8()
            streamTypeByte = try child.readUInt8()
            bufferSizeDB = try child.readUInt24()
            maxBitrate = try child.readUInt32()
            avgBitrate = try child.readUInt32()
            while !child.isAtEnd {
                var (infoTag, info) = try Self.readDescriptor(&child)
                if infoTag == 0x05 { found = try info.readRest() }
            }
        }
        guard let found else { throw r.error(.missingBox, "no DecoderSpecificInfo in esds") }
        decoderSpecificInfo = found
        try r.skip(r.remaining)  // padding some writers leave after the ES_Descriptor
    }
}
