/// 'stco' Chunk Offset box — ISO/IEC 14496-12 §8.7.5; empty in fragmented files.
public struct StcoBox: Box {
    public static let type: FourCC = "stco"
    public var chunkOffsets: [UInt32] = []

    public init(chunkOffsets: [UInt32] = []) { self.chunkOffsets = chunkOffsets }

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(UInt32(chunkOffsets.count))
            for o in chunkOffsets { w.write(o) }
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        _ = try r.readVersionFlags()
        let n = try r.readCount(entrySize: 4, what: "chunk offsets")
        chunkOffsets = try (0..<n).map { _ in try r.readUInt32() }
    }
}
