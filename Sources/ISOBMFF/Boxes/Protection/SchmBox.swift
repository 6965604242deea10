/// 'schm' Scheme Type box — ISO/IEC 14496-12 §8.12.5: the protection scheme (`cenc`, version 1.0 =
/// 0x00010000, ISO/IEC 23001-7 §4.2). The optional URI (flag 1) is read but never written.
public struct SchmBox: Box {
    public static let type: FourCC = "schm"
    public var schemeType: FourCC
    public var schemeVersion: UInt32
    public var schemeURI: String? = nil

    public init(schemeType: FourCC = "cenc", schemeVersion: UInt32 = 0x0001_0000) {
        self.schemeType = schemeType
        self.schemeVersion = schemeVersion
    }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(schemeType)
            w.write(schemeVersion)
            guard let schemeURI else { return VersionFlags(version: 0, flags: 0) }
            w.write(Array(schemeURI.utf8))
            w.write(UInt8(0))
            return VersionFlags(version: 0, flags: 1)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        schemeType = FourCC(rawValue: try r.readUInt32())
        schemeVersion = try r.readUInt32()
        if vf.flags & 1 != 0 {
            schemeURI = String(decoding: try r.readRest().prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
