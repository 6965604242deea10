/// 'hdlr' Handler Reference box — ISO/IEC 14496-12 §8.4.3; `vide` or `soun` (docs/format.md §1.3).
public struct HdlrBox: Box {
    public static let type: FourCC = "hdlr"
    public var handlerType: FourCC
    /// Free text, written NUL-terminated.
    public var name: String

    public init(handlerType: FourCC, name: String) {
        self.handlerType = handlerType
        self.name = name
    }

    public static let video = HdlrBox(handlerType: "vide", name: "VideoHandler")
    public static let sound = HdlrBox(handlerType: "soun", name: "SoundHandler")

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(UInt32(0))  // pre_defined
            w.write(handlerType)
            w.zeros(12)  // reserved
            w.write(Array(name.utf8))
            w.write(UInt8(0))
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        try r.skip(4)
        handlerType = try r.readFourCC()
        try r.skip(12)
        var text = try r.readRest()
        if let nul = text.firstIndex(of: 0) { text = Array(text[..<nul]) }
        name = String(decoding: text, as: UTF8.self)
    }
}
