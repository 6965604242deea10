/// 'trun' Track Fragment Run box — ISO/IEC 14496-12 §8.8.8; docs/format.md §1.5. Flags derive from
/// the fields present: video `0x000B05` (data offset, first-sample-flags, duration, size, composition
/// offset), audio `0x000301`. Version derives from the data: 1 (signed offsets, option A) whenever
/// composition offsets are present, else 0.
public struct TrunBox: Box {
    public static let type: FourCC = "trun"
    /// Offset from the first byte of the moof to the first sample byte: moof size + 8.
    public var dataOffset: Int32?  // flag 0x000001
    public var firstSampleFlags: UInt32?  // flag 0x000004
    public var samples: [TrunSample]

    public init(dataOffset: Int32? = nil, firstSampleFlags: UInt32? = nil, samples: [TrunSample]) {
        self.dataOffset = dataOffset
        self.firstSampleFlags = firstSampleFlags
        self.samples = samples
    }

    /// Sum of the sample durations (absent durations count 0).
    public var totalDuration: UInt64 { samples.reduce(0) { $0 + UInt64($1.duration ?? 0) } }
    /// Sum of the sample sizes (absent sizes count 0).
    public var totalSize: UInt64 { samples.reduce(0) { $0 + UInt64($1.size ?? 0) } }

    public func write(to w: inout ByteWriter) throws {
        let fieldFlags = samples.first?.fieldFlags ?? 0
        guard samples.allSatisfy({ $0.fieldFlags == fieldFlags }) else {
            throw MP4Error(
                code: .invalidValue, box: Self.type, path: "trun",
                detail: "samples of one trun must all carry the same fields")
        }
        guard let count = UInt32(exactly: samples.count) else {
            throw MP4Error(code: .boxTooLarge, box: Self.type, path: "trun", detail: "\(samples.count) samples")
        }
        try w.fullBox(Self.type) { w in
            var flags = fieldFlags
            w.write(count)
            if let v = dataOffset {
                w.write(v)
                flags |= 0x01
            }
            if let v = firstSampleFlags {
                w.write(v)
                flags |= 0x04
            }
            for s in samples {
                if let v = s.duration { w.write(v) }
                if let v = s.size { w.write(v) }
                if let v = s.flags { w.write(v) }
                if let v = s.compositionOffset { w.write(v) }
            }
            return VersionFlags(version: fieldFlags & 0x800 != 0 ? 1 : 0, flags: flags)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        let declared = try r.readUInt32()
        dataOffset = vf.flags & 0x01 != 0 ? try r.readInt32() : nil
        firstSampleFlags = vf.flags & 0x04 != 0 ? try r.readUInt32() : nil
        let fields = [0x100, 0x200, 0x400, 0x800].filter { vf.flags & UInt32($0) != 0 }.count
        // Samples without fields take no bytes; the bound still counts each as one (see boundedCount).
        let count = try r.boundedCount(UInt64(declared), entrySize: 4 * fields, what: "samples")
        var samples: [TrunSample] = []
        samples.reserveCapacity(Int(count))
        for _ in 0..<count {
            var s = TrunSample()
            if vf.flags & 0x100 != 0 { s.duration = try r.readUInt32() }
            if vf.flags & 0x200 != 0 { s.size = try r.readUInt32() }
            if vf.flags & 0x400 != 0 { s.flags = try r.readUInt32() }
            if vf.flags & 0x800 != 0 {
                let raw = try r.readUInt32()
                if vf.version == 0, raw > UInt32(Int32.max) {
                    throw r.error(.invalidValue, "unsigned composition offset \(raw) does not fit in 31 bits")
                }
                s.compositionOffset = Int32(bitPattern: raw)
            }
            samples.append(s)
        }
        self.samples = samples
    }
}
