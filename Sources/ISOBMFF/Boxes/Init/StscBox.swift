/// 'stsc' Sample To Chunk box — ISO/IEC 14496-12 §8.7.4; empty in fragmented files.
public struct StscBox: Box {
    public static let type: FourCC = "stsc"
    public struct Entry: Sendable, Equatable {
        public var firstChunk: UInt32
        public var samplesPerChunk: UInt32
        public var sampleDescriptionIndex: UInt32
        public init(firstChunk: UInt32, samplesPerChunk: UInt32, sampleDescriptionIndex: UInt32) {
            self.firstChunk = firstChunk
            self.samplesPerChunk = samplesPerChunk
            self.sampleDescriptionIndex = sampleDescriptionIndex
        }
    }
    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(UInt32(entries.count))
            for e in entries {
                w.write(e.firstChunk)
                w.write(e.samplesPerChunk)
                w.write(e.sampleDescriptionIndex)
            }
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        _ = try r.readVersionFlags()
        let n = try r.readCount(entrySize: 12)
        entries = try (0..<n).map { _ in
            Entry(
                firstChunk: try r.readUInt32(), samplesPerChunk: try r.readUInt32(),
                sampleDescriptionIndex: try r.readUInt32())
        }
    }
}
