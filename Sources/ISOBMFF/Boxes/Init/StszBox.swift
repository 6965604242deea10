/// 'stsz' Sample Size box — ISO/IEC 14496-12 §8.7.3.2; sample_size 0, sample_count 0 in
/// fragmented files (kept because ISO requires stsz or stz2, docs/format.md §1.3).
public struct StszBox: Box {
    public static let type: FourCC = "stsz"
    /// Size of every sample when non-zero; then `entrySizes` is empty and `sampleCount` counts.
    public var sampleSize: UInt32 = 0
    public var sampleCount: UInt32 = 0
    /// Per-sample sizes when `sampleSize == 0`.
    public var entrySizes: [UInt32] = []

    public init() {}

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { w in
            w.write(sampleSize)
            if sampleSize == 0 {
                w.write(UInt32(entrySizes.count))
                for s in entrySizes { w.write(s) }
            } else {
                w.write(sampleCount)
            }
            return VersionFlags(version: 0, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        _ = try r.readVersionFlags()
        sampleSize = try r.readUInt32()
        let n = try r.readUInt32()
        if sampleSize == 0 {
            let count = try r.boundedCount(UInt64(n), entrySize: 4, what: "sample sizes")
            entrySizes = try (0..<count).map { _ in try r.readUInt32() }
        } else {
            sampleCount = n
        }
    }
}
