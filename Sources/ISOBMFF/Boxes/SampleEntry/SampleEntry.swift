/// One entry of `stsd` (ISO/IEC 14496-12 §8.5.2): H.264 `avc1`, AAC `mp4a`, or an entry this
/// reader does not interpret (kept as raw body bytes).
public enum SampleEntry: Sendable, Equatable {
    case avc1(Avc1SampleEntry)
    case mp4a(Mp4aSampleEntry)
    case other(type: FourCC, body: [UInt8])

    /// The entry's box type.
    public var type: FourCC {
        switch self {
        case .avc1: Avc1SampleEntry.type
        case .mp4a: Mp4aSampleEntry.type
        case .other(let type, _): type
        }
    }

    public func write(to w: inout ByteWriter) throws {
        switch self {
        case .avc1(let e): try e.write(to: &w)
        case .mp4a(let e): try e.write(to: &w)
        case .other(let type, let body): try w.box(type) { w in w.write(body) }
        }
    }

    /// Decodes a child of `stsd`.
    public init(header: BoxHeader, body: ByteReader) throws {
        switch header.type {
        case Avc1SampleEntry.type: self = .avc1(try Avc1SampleEntry.decode(header: header, body: body))
        case Mp4aSampleEntry.type: self = .mp4a(try Mp4aSampleEntry.decode(header: header, body: body))
        default:
            var r = body
            self = .other(type: header.type, body: try r.readRest())
        }
    }
}
