/// 'tenc' Track Encryption box — ISO/IEC 23001-7 §8.2: the track's defaults — protected or not, the
/// per-sample IV size (8 or 16; 0 with a constant IV) and the default KID. Version 0 for `cenc`
/// (version 1 adds the pattern bytes of `cens`/`cbcs`, read but never written).
public struct TencBox: Box {
    public static let type: FourCC = "tenc"
    public var isProtected: Bool
    public var perSampleIVSize: UInt8
    /// 16 bytes, text (big-endian UUID) order.
    public var defaultKID: [UInt8]
    /// Version 1 only: crypt and skip blocks of a pattern scheme.
    public var pattern: (crypt: UInt8, skip: UInt8)? = nil
    /// Present when protected with `perSampleIVSize` 0.
    public var constantIV: [UInt8]? = nil

    public init(isProtected: Bool = true, perSampleIVSize: UInt8, defaultKID: [UInt8]) {
        self.isProtected = isProtected
        self.perSampleIVSize = perSampleIVSize
        self.defaultKID = defaultKID
    }

    public static func == (a: TencBox, b: TencBox) -> Bool {
        a.isProtected == b.isProtected && a.perSampleIVSize == b.perSampleIVSize && a.defaultKID == b.defaultKID
            && a.pattern?.crypt == b.pattern?.crypt && a.pattern?.skip == b.pattern?.skip
            && a.constantIV == b.constantIV
    }

    public func write(to w: inout ByteWriter) throws {
        guard defaultKID.count == 16, [0, 8, 16].contains(perSampleIVSize),
            (perSampleIVSize == 0) == (constantIV != nil && isProtected)
        else {
            throw MP4Error(code: .invalidValue, box: Self.type, path: "tenc",
                           detail: "KID of \(defaultKID.count) bytes, IV size \(perSampleIVSize)")
        }
        try w.fullBox(Self.type) { w in
            w.write(UInt8(0))
            if let p = pattern { w.write(p.crypt << 4 | (p.skip & 0x0F)) } else { w.write(UInt8(0)) }
            w.write(UInt8(isProtected ? 1 : 0))
            w.write(perSampleIVSize)
            w.write(defaultKID)
            if let iv = constantIV {
                w.write(UInt8(iv.count))
                w.write(iv)
            }
            return VersionFlags(version: pattern == nil ? 0 : 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        _ = try r.readUInt8()
        let patternByte = try r.readUInt8()
        if vf.version == 1 { pattern = (patternByte >> 4, patternByte & 0x0F) }
        isProtected = try r.readUInt8() != 0
        perSampleIVSize = try r.readUInt8()
        guard [0, 8, 16].contains(perSampleIVSize) else {
            throw r.error(.invalidValue, "per-sample IV size \(perSampleIVSize) (0, 8 or 16)")
        }
        defaultKID = try r.readBytes(16)
        if isProtected && perSampleIVSize == 0 {
            let size = try r.readUInt8()
            guard size == 8 || size == 16 else { throw r.error(.invalidValue, "constant IV size \(size)") }
            constantIV = try r.readBytes(Int(size))
        }
    }
}
