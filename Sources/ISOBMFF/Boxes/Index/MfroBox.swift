/// 'mfro' Movie Fragment Random Access Offset box — ISO/IEC 14496-12 §8.8.11; docs/format.md §1.7:
/// the size of the enclosing `mfra` including this box; the last 16 bytes of the file.
public struct MfroBox: Box {
    public static let type: FourCC = "mfro"
    public var mfraSize: UInt32

    public init(mfraSize: UInt32) { self.mfraSize = mfraSize }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(mfraSize)
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        mfraSize = try r.readUInt32()
    }
}
