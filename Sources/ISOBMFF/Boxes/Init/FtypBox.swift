/// 'ftyp' File Type box — ISO/IEC 14496-12 §4.3; docs/format.md §1.2 (major `isml`, minor 1,
/// compatible `piff`, `iso2`).
public struct FtypBox: Box {
    public static let type: FourCC = "ftyp"
    public var majorBrand: FourCC
    public var minorVersion: UInt32
    public var compatibleBrands: [FourCC]

    public init(majorBrand: FourCC, minorVersion: UInt32, compatibleBrands: [FourCC]) {
        self.majorBrand = majorBrand
        self.minorVersion = minorVersion
        self.compatibleBrands = compatibleBrands
    }

    /// The PIFF brand set of docs/format.md §1.2: `isml`, 1, [`piff`, `iso2`].
    public static let piff = FtypBox(majorBrand: "isml", minorVersion: 1, compatibleBrands: ["piff", "iso2"])

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            w.write(majorBrand)
            w.write(minorVersion)
            for b in compatibleBrands { w.write(b) }
        }
    }

    public init(body r: inout ByteReader) throws {
        majorBrand = try r.readFourCC()
        minorVersion = try r.readUInt32()
        guard r.remaining % 4 == 0 else { throw r.error(.invalidValue, "brand list is not a multiple of 4 bytes") }
        let count = try r.boundedCount(UInt64(r.remaining / 4), entrySize: 4, what: "brands")
        compatibleBrands = try (0..<count).map { _ in try r.readFourCC() }
    }
}
