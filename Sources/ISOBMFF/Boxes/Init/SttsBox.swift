/// 'stts' Decoding Time to Sample box — ISO/IEC 14496-12 §8.6.1.2; empty in fragmented files.
public struct SttsBox: Box {
    public static let type: FourCC = "stts"
    public struct Entry: Sendable, Equatable {
        public var sampleCount: UInt32
        public var sampleDelta: UInt32
        public init(sampleCount: UInt32, sampleDelta: UInt32) {
            self.sampleCount = sampleCount
            self.sampleDelta = sampleDelta
        }
    }
    public var entries: [Entry] = []

    public init(entries: [Entry] = []) { self.entries = entries }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(UInt32(entries.count))
            for e in entries {
                w.write(e.sampleCount)
                w.write(e.sampleDelta)
            }
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        _ = try r.readVersionFlags()
        let n = try r.readCount(entrySize: 8)
        entries = try (0..<n).map { _ in Entry(sampleCount: try r.readUInt32(), sampleDelta: try r.readUInt32()) }
    }
}
