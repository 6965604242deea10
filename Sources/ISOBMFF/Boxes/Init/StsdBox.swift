/// 'stsd' Sample Description box — ISO/IEC 14496-12 §8.5.2; one `avc1` or `mp4a` entry.
public struct StsdBox: Box {
    public static let type: FourCC = "stsd"
    public var entries: [SampleEntry]

    public init(entries: [SampleEntry]) { self.entries = entries }

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
        entries = try r.countedChildren(minimumEntrySize: 8).map { try SampleEntry(header: $0.header, body: $0.body) }
    }
}
