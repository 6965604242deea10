/// 'dref' Data Reference box — ISO/IEC 14496-12 §8.7.2; we write one self-contained `url ` entry
/// (docs/format.md §1.3).
public struct DrefBox: Box {
    public static let type: FourCC = "dref"
    public var entries: [UrlBox]

    public init(entries: [UrlBox] = [UrlBox()]) { self.entries = entries }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(UInt32(entries.count))
            for e in entries { try e.write(to: &w) }
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        entries = try r.countedChildren(minimumEntrySize: 12).map { try UrlBox.decode(header: $0.header, body: $0.body) }
    }
}
