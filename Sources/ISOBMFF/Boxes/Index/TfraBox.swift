/// 'tfra' Track Fragment Random Access box — ISO/IEC 14496-12 §8.8.10; docs/format.md §1.7. Policy:
/// always version 1 (64-bit time and moof offset, as FFmpeg writes). The traf/trun/sample number
/// field widths are derived from the largest value (1 byte each for our 1/1/1 entries).
public struct TfraBox: Box {
    public static let type: FourCC = "tfra"

    /// One random-access point: a fragment's start time and the offset of its moof.
    public struct Entry: Sendable, Equatable {
        /// Fragment start in 10 MHz units (= tfxd time = manifest `t`).
        public var time: UInt64
        /// Byte offset of the fragment's `moof` from the start of the file.
        public var moofOffset: UInt64
        public var trafNumber: UInt32 = 1
        public var trunNumber: UInt32 = 1
        public var sampleNumber: UInt32 = 1

        public init(
            time: UInt64, moofOffset: UInt64, trafNumber: UInt32 = 1, trunNumber: UInt32 = 1,
            sampleNumber: UInt32 = 1
        ) {
            self.time = time
            self.moofOffset = moofOffset
            self.trafNumber = trafNumber
            self.trunNumber = trunNumber
            self.sampleNumber = sampleNumber
        }
    }

    public var trackID: UInt32
    public var entries: [Entry]

    public init(trackID: UInt32, entries: [Entry]) {
        self.trackID = trackID
        self.entries = entries
    }

    /// Bytes (1…4) needed for the largest of `values`.
    static func width(_ values: some Sequence<UInt32>) -> Int {
        let m = values.max() ?? 0
        return m <= 0xFF ? 1 : m <= 0xFFFF ? 2 : m <= 0xFF_FFFF ? 3 : 4
    }

    public func write(to w: inout ByteWriter) throws {
        let widths = [
            Self.width(entries.map(\.trafNumber)), Self.width(entries.map(\.trunNumber)),
            Self.width(entries.map(\.sampleNumber)),
        ]
        guard let count = UInt32(exactly: entries.count) else {
            throw MP4Error(code: .boxTooLarge, box: Self.type, path: "mfra/tfra", detail: "\(entries.count) entries")
        }
        try w.fullBox(Self.type) { w in
            w.write(trackID)
            w.write(UInt32((widths[0] - 1) << 4 | (widths[1] - 1) << 2 | (widths[2] - 1)))
            w.write(count)
            for e in entries {
                w.write(e.time)
                w.write(e.moofOffset)
                for (value, size) in zip([e.trafNumber, e.trunNumber, e.sampleNumber], widths) {
                    for i in stride(from: size - 1, through: 0, by: -1) {
                        w.write(UInt8(truncatingIfNeeded: value >> (8 * i)))
                    }
                }
            }
            return VersionFlags(version: 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        trackID = try r.readUInt32()
        let sizes = try r.readUInt32()
        let widths = [Int(sizes >> 4 & 3) + 1, Int(sizes >> 2 & 3) + 1, Int(sizes & 3) + 1]
        let entrySize = (vf.version == 1 ? 16 : 8) + widths.reduce(0, +)
        let count = try r.readCount(entrySize: entrySize)
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            let time = vf.version == 1 ? try r.readUInt64() : UInt64(try r.readUInt32())
            let offset = vf.version == 1 ? try r.readUInt64() : UInt64(try r.readUInt32())
            var numbers: [UInt32] = []
            for size in widths {
                var v: UInt32 = 0
                for _ in 0..<size { v = v << 8 | UInt32(try r.readUInt8()) }
                numbers.append(v)
            }
            entries.append(
                Entry(
                    time: time, moofOffset: offset, trafNumber: numbers[0], trunNumber: numbers[1],
                    sampleNumber: numbers[2]))
        }
        self.entries = entries
    }
}
