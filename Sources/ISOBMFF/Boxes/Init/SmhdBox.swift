/// 'smhd' Sound Media Header box — ISO/IEC 14496-12 §12.2.2.
public struct SmhdBox: Box {
    public static let type: FourCC = "smhd"
    /// 8.8 fixed stereo balance, 0 = centre.
    public var balance: Int16 = 0

    public init() {}

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(balance)
            w.write(UInt16(0))
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        balance = try r.readInt16()
        try r.skip(2)
    }
}
