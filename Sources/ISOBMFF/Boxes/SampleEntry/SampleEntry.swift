/// One entry of `stsd` (ISO/IEC 14496-12 §8.5.2): H.264 `avc1`, AAC `mp4a`, or an entry this
/// reader does not interpret (kept as raw body bytes).
public enum SampleEntry: Sendable, Equatable {
    case avc1(Avc1SampleEntry)
    case mp4a(Mp4aSampleEntry)
    case other(type: FourCC, body: [UInt8])

    /// The entry's box type.
    public var type: FourCC {
        switch self {
        case .avc1(let e): e.sinf == nil ? Avc1SampleEntry.type : "encv"
        case .mp4a(let e): e.sinf == nil ? Mp4aSampleEntry.type : "enca"
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
        case "encv", "enca":
            // A protected entry: the original format's layout plus a `sinf` naming it (ISO/IEC 23001-7 §4.1).
            var r = body
            let original = try Self.originalFormat(of: body)
            if header.type == "encv", original == Avc1SampleEntry.type {
                let e = try Avc1SampleEntry(body: &r)
                try r.expectEnd()
                self = .avc1(e)
            } else if header.type == "enca", original == Mp4aSampleEntry.type {
                let e = try Mp4aSampleEntry(body: &r)
                try r.expectEnd()
                self = .mp4a(e)
            } else {
                self = .other(type: header.type, body: try r.readRest())
            }
        default:
            var r = body
            self = .other(type: header.type, body: try r.readRest())
        }
    }

    /// The `frma` of a protected entry's `sinf`, found by scanning its children after the fixed fields
    /// (78 bytes for visual entries, 28 for audio version 0); nil when there is none.
    static func originalFormat(of body: ByteReader) throws -> FourCC? {
        for fixed in [78, 28] {
            var r = body
            guard r.remaining > fixed else { continue }
            try r.skip(fixed)
            guard let children = try? r.children(),
                let sinf = try? r.optional(SinfBox.self, in: children) else { continue }
            return sinf.frma.dataFormat
        }
        return nil
    }
}
