/// 'mdat' Media Data box — ISO/IEC 14496-12 §8.1.1; docs/format.md §1.6: a 32-bit header followed by
/// the samples of the preceding moof. The fragmenter writes ``header(payloadSize:)`` and then each
/// sample's bytes; this value type is for small boxes and tests.
public struct MdatBox: Box {
    public static let type: FourCC = "mdat"
    public var data: [UInt8]

    public init(data: [UInt8]) { self.data = data }

    /// The 8-byte header for `payloadSize` bytes of samples; throws `boxTooLarge` at 4 GiB (dash.js
    /// recomputes data offsets assuming an 8-byte header, docs/format.md §1.5).
    public static func header(payloadSize: Int64) throws -> [UInt8] {
        guard let size = UInt32(exactly: payloadSize + 8) else {
            throw MP4Error(code: .boxTooLarge, box: type, path: "mdat", detail: "\(payloadSize) payload bytes")
        }
        var w = ByteWriter(capacity: 8)
        w.write(size)
        w.write(type)
        return w.bytes
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in w.write(data) }
    }

    public init(body r: inout ByteReader) throws { data = try r.readRest() }
}
