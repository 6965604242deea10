/// 'url ' Data Entry URL box — ISO/IEC 14496-12 §8.7.2; flag 1 (self-contained) ⇔ no location.
public struct UrlBox: Box {
    public static let type: FourCC = "url "
    /// nil = media data is in this file (flag 0x000001).
    public var location: String?

    public init(location: String? = nil) { self.location = location }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            guard let location else { return VersionFlags(version: 0, flags: 1) }
            w.write(Array(location.utf8))
            w.write(UInt8(0))
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        if vf.flags & 1 != 0 {
            location = nil
            try r.skip(r.remaining)  // some writers leave bytes behind a self-contained entry
        } else {
            var text = try r.readRest()
            if let nul = text.firstIndex(of: 0) { text = Array(text[..<nul]) }
            location = String(decoding: text, as: UTF8.self)
        }
    }
}
