/// 'mdhd' Media Header box — ISO/IEC 14496-12 §8.4.2; docs/format.md §1.3: version 1, timescale
/// 10 000 000 for every track (MS-SSTR clients time fragments on the manifest clock).
public struct MdhdBox: Box {
    public static let type: FourCC = "mdhd"
    public var creationTime: UInt64 = 0
    public var modificationTime: UInt64 = 0
    public var timescale: UInt32
    /// Media duration in `timescale` units; all-ones = unknown.
    public var duration: UInt64
    /// ISO 639-2/T code, three lower-case letters (`und` when unknown).
    public var language: String

    public init(timescale: UInt32 = 10_000_000, duration: UInt64 = .max, language: String = "und") {
        self.timescale = timescale
        self.duration = duration
        self.language = language
    }

    /// The language packed as three 5-bit letters (`und` = 0x55C4); invalid codes pack as `und`.
    var packedLanguage: UInt16 {
        let letters = Array(language.utf8)
        guard letters.count == 3, letters.allSatisfy({ (0x61...0x7A).contains($0) }) else { return 0x55C4 }
        return letters.reduce(0) { $0 << 5 | UInt16($1 - 0x60) }
    }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(creationTime)
            w.write(modificationTime)
            w.write(timescale)
            w.write(duration)
            w.write(packedLanguage)
            w.write(UInt16(0))  // pre_defined
            return VersionFlags(version: 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        if vf.version == 1 {
            creationTime = try r.readUInt64()
            modificationTime = try r.readUInt64()
            timescale = try r.readUInt32()
            duration = try r.readUInt64()
        } else {
            creationTime = UInt64(try r.readUInt32())
            modificationTime = UInt64(try r.readUInt32())
            timescale = try r.readUInt32()
            let d = try r.readUInt32()
            duration = d == .max ? .max : UInt64(d)
        }
        let packed = try r.readUInt16()
        language = String(decoding: [10, 5, 0].map { UInt8((packed >> UInt16($0)) & 0x1F) + 0x60 }, as: UTF8.self)
        try r.skip(2)
    }
}
