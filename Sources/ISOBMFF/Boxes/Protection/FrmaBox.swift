/// 'frma' Original Format box — ISO/IEC 14496-12 §8.12.2: the sample entry type (`avc1`, `mp4a`) that an
/// `encv`/`enca` entry stands for.
public struct FrmaBox: Box {
    public static let type: FourCC = "frma"
    public var dataFormat: FourCC

    public init(dataFormat: FourCC) { self.dataFormat = dataFormat }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in w.write(dataFormat) }
    }

    public init(body r: inout ByteReader) throws {
        dataFormat = FourCC(rawValue: try r.readUInt32())
    }
}
