/// 'saiz' Sample Auxiliary Information Sizes box — ISO/IEC 14496-12 §8.7.8: the size of each sample's
/// `cenc` auxiliary information (IV + subsample map). One default size when all are equal, else a list.
/// No aux_info_type (flag 0): for a `cenc` track it defaults to the scheme type (ISO/IEC 23001-7 §7.1).
public struct SaizBox: Box {
    public static let type: FourCC = "saiz"
    public var sizes: [UInt8]

    public init(sizes: [UInt8]) { self.sizes = sizes }

    public func write(to w: inout ByteWriter) throws {
        guard let count = UInt32(exactly: sizes.count) else {
            throw MP4Error(code: .boxTooLarge, box: Self.type, path: "traf/saiz", detail: "\(sizes.count) samples")
        }
        try w.fullBox(Self.type) { w in
            let uniform = sizes.allSatisfy { $0 == sizes.first }
            w.write(uniform ? sizes.first ?? 0 : 0)
            w.write(count)
            if !uniform { w.write(sizes) }
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        if vf.flags & 1 != 0 { try r.skip(8) }  // aux_info_type, aux_info_type_parameter
        let defaultSize = try r.readUInt8()
        let declared = UInt64(try r.readUInt32())
        if defaultSize == 0 {
            sizes = try r.readBytes(try r.boundedCount(declared, entrySize: 1, what: "sizes"))
        } else {
            sizes = Array(repeating: defaultSize, count: try r.boundedCount(declared, entrySize: 0, what: "samples"))
        }
    }
}
