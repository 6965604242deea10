/// 'avc1' AVC visual sample entry — ISO/IEC 14496-15 §5.4.2 / ISO/IEC 14496-12 §12.1.3;
/// docs/format.md §1.3 "Video sample entry": 72 dpi, frame_count 1, depth 0x18, then `avcC`.
public struct Avc1SampleEntry: Box {
    public static let type: FourCC = "avc1"
    public var dataReferenceIndex: UInt16 = 1
    /// Coded width and height in pixels.
    public var width: UInt16
    public var height: UInt16
    /// Compressor name, at most 31 bytes of UTF-8.
    public var compressorName: String = ""
    public var depth: UInt16 = 0x0018
    public var avcC: AvcCBox
    /// Common Encryption: with a `sinf` the entry is written as `encv` (ISO/IEC 23001-7 §4.1).
    public var sinf: SinfBox? = nil

    public init(width: UInt16, height: UInt16, avcC: AvcCBox) {
        self.width = width
        self.height = height
        self.avcC = avcC
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(sinf == nil ? Self.type : "encv") { w in
            w.zeros(6)
            w.write(dataReferenceIndex)
            w.zeros(16)  // pre_defined, reserved, pre_defined[3]
            w.write(width)
            w.write(height)
            w.write(UInt32(0x0048_0000))  // 72 dpi
            w.write(UInt32(0x0048_0000))
            w.zeros(4)
            w.write(UInt16(1))  // frame_count
            let name = Array(compressorName.utf8.prefix(31))
            w.write(UInt8(name.count))
            w.write(name)
            w.zeros(31 - name.count)
            w.write(depth)
            w.write(Int16(-1))  // pre_defined
            try avcC.write(to: &w)
            try sinf?.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        try r.skip(6)
        dataReferenceIndex = try r.readUInt16()
        try r.skip(16)
        width = try r.readUInt16()
        height = try r.readUInt16()
        try r.skip(4 + 4 + 4 + 2)
        let nameLength = Int(try r.readUInt8())
        let name = try r.readBytes(31)
        compressorName = String(decoding: name.prefix(min(nameLength, 31)), as: UTF8.self)
        depth = try r.readUInt16()
        try r.skip(2)
        // Other children (btrt, pasp, colr…) are allowed and skipped.
        let children = try r.children()
        avcC = try r.required(AvcCBox.self, in: children)
        sinf = try r.optional(SinfBox.self, in: children)
    }
}
