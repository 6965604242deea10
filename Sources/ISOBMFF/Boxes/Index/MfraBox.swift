/// 'mfra' Movie Fragment Random Access box — ISO/IEC 14496-12 §8.8.9; docs/format.md §1.7: one `tfra`
/// per track, then `mfro` as the last box of the file.
public struct MfraBox: Box {
    public static let type: FourCC = "mfra"
    public var tfras: [TfraBox]
    public var mfro: MfroBox

    /// An mfra whose `mfro` carries the correct size.
    public init(tfras: [TfraBox]) throws {
        self.tfras = tfras
        mfro = MfroBox(mfraSize: 0)
        mfro.mfraSize = UInt32(try encoded().count)
    }

    public init(tfras: [TfraBox], mfro: MfroBox) {
        self.tfras = tfras
        self.mfro = mfro
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            for t in tfras { try t.write(to: &w) }
            try mfro.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        tfras = try r.all(TfraBox.self, in: children)
        guard let last = children.last, last.header.type == MfroBox.type else {
            throw r.error(.missingBox, "mfra does not end with mfro")
        }
        mfro = try MfroBox.decode(header: last.header, body: last.body)
    }
}
