/// 'sinf' Protection Scheme Information box — ISO/IEC 14496-12 §8.12.1, ISO/IEC 23001-7 §4: inside an
/// `encv`/`enca` sample entry, the original format (`frma`), the scheme (`schm`) and its data (`schi`).
public struct SinfBox: Box {
    public static let type: FourCC = "sinf"
    public var frma: FrmaBox
    public var schm: SchmBox?
    public var schi: SchiBox?

    public init(frma: FrmaBox, schm: SchmBox?, schi: SchiBox?) {
        self.frma = frma
        self.schm = schm
        self.schi = schi
    }

    /// `frma` = `original`, `schm` = `cenc` 1.0, `schi/tenc` with `kid` and per-sample IVs of `ivSize` bytes.
    public static func cenc(original: FourCC, kid: [UInt8], ivSize: UInt8) -> SinfBox {
        SinfBox(frma: FrmaBox(dataFormat: original), schm: SchmBox(),
                schi: SchiBox(tenc: TencBox(perSampleIVSize: ivSize, defaultKID: kid)))
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try frma.write(to: &w)
            try schm?.write(to: &w)
            try schi?.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        frma = try r.required(FrmaBox.self, in: children)
        schm = try r.optional(SchmBox.self, in: children)
        schi = try r.optional(SchiBox.self, in: children)
    }
}
