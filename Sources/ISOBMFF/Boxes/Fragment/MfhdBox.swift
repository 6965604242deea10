/// 'mfhd' Movie Fragment Header box — ISO/IEC 14496-12 §8.8.5; docs/format.md §1.5: sequence
/// numbers start at 1 and grow by one per moof of the file.
public struct MfhdBox: Box {
    public static let type: FourCC = "mfhd"
    public var sequenceNumber: UInt32

    public init(sequenceNumber: UInt32) { self.sequenceNumber = sequenceNumber }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(sequenceNumber)
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        sequenceNumber = try r.readUInt32()
    }
}
