import Foundation
import ISOBMFF
import MediaCore
import Testing

/// Every count a file declares goes through `ByteReader.boundedCount` (issue 11 §1): for every box of a real
/// `.ismv` and `.isma`, each size and count field set to 0, 1, the remaining-bytes bound (and one past it) and
/// `UInt32.max`, with the box's flags and version as written, cleared (no optional fields) and all set, gives a
/// thrown `MP4Error` or a valid parse, never a trap, and the memory the call holds stays under a fixed bound.
@Suite struct CountFieldTests {
    /// Most bytes one reader call may hold on to (a whole synthetic file is a few kB).
    static let memoryBound = 64 << 20

    /// A count field: where it is (from the box start), how wide, and how many bytes each entry takes.
    struct Field: CustomStringConvertible {
        var name: String
        var offset: Int
        var width: Int
        var entrySize: Int
        var description: String { name }
    }

    /// One box found in a file, with the fields worth attacking.
    struct Found {
        var type: FourCC
        var offset: Int
        var size: Int
        var fields: [Field]
        var fullBox: Bool
    }

    /// The count fields of each box type the reader decodes: (box, field, offset from the box start with an
    /// 8-byte header, width in bytes, bytes per entry).
    static let table: [(FourCC, String, Int, Int, Int)] = [
        ("stts", "entry_count", 12, 4, 8), ("stsc", "entry_count", 12, 4, 12), ("stco", "entry_count", 12, 4, 4),
        ("stsz", "sample_size", 12, 4, 1), ("stsz", "sample_count", 16, 4, 4), ("dref", "entry_count", 12, 4, 12),
        ("stsd", "entry_count", 12, 4, 8), ("trun", "sample_count", 12, 4, 0), ("tfra", "length_sizes", 16, 4, 1),
        ("tfra", "number_of_entry", 20, 4, 19), ("avcC", "numOfSequenceParameterSets", 13, 1, 2),
        ("avcC", "sequenceParameterSetLength", 14, 2, 1), ("esds", "ES_Descriptor.length", 13, 1, 1),
        ("senc", "sample_count", 12, 4, 8), ("saiz", "sample_count", 13, 4, 1), ("saio", "entry_count", 12, 4, 4),
        ("pssh", "data_size", 28, 4, 1),
    ]

    static func fields(of type: FourCC) -> [Field] {
        table.filter { $0.0 == type }.map { Field(name: "\($0.0).\($0.1)", offset: $0.2, width: $0.3, entrySize: $0.4) }
    }

    static let containers: Set<FourCC> = ["moov", "trak", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf", "mfra",
                                          "sinf", "schi"]
    static let fullBoxes: Set<FourCC> = [
        "mvhd", "tkhd", "mdhd", "hdlr", "vmhd", "smhd", "dref", "url ", "stsd", "stts", "stsc", "stsz", "stco",
        "trex", "mfhd", "tfhd", "trun", "tfra", "mfro", "esds", "schm", "tenc", "pssh", "senc", "saiz", "saio",
    ]

    /// Every box of `bytes` (recursively, into containers and sample entries).
    static func boxes(_ bytes: [UInt8], from start: Int, to end: Int) -> [Found] {
        var out: [Found] = []
        var at = start
        while at + 8 <= end {
            let size = Int(u32(bytes, at))
            let type = FourCC(rawValue: u32(bytes, at + 4))
            guard size >= 8, at + size <= end else { break }
            out.append(Found(type: type, offset: at, size: size, fields: fields(of: type), fullBox: fullBoxes.contains(type)))
            let skip: Int? = containers.contains(type) ? 8 : type == "stsd" || type == "dref" ? 16
                : type == "avc1" || type == "encv" ? 86 : type == "mp4a" || type == "enca" ? 36 : nil
            if let skip { out += boxes(bytes, from: at + skip, to: at + size) }
            at += size
        }
        return out
    }

    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func put(_ value: UInt64, width: Int, into b: inout [UInt8], at i: Int) {
        for k in 0..<width { b[i + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(width - 1 - k))) }
    }

    /// The box type (by its FourCC) the reader decodes on its own, if any.
    static func boxType(_ type: FourCC) -> (any Box.Type)? {
        FuzzEntry.boxTypes.first { $0.type == type && $0.extendedType == nil }
    }

    /// Peak resident memory of the process (VmHWM of /proc/self/status) in bytes; 0 without /proc. It catches
    /// a table that was filled, even if freed before an error; ``tableBytes(_:)`` catches one only reserved.
    static func peakResident() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0) * 1024
    }

    /// Bytes the tables of a decoded box hold (capacity, not count: a reservation counts in full).
    static func tableBytes(_ box: any Box) -> Int {
        switch box {
        case let b as TrunBox: b.samples.capacity * MemoryLayout<TrunSample>.stride
        case let b as TfraBox: b.entries.capacity * MemoryLayout<TfraBox.Entry>.stride
        case let b as SttsBox: b.entries.capacity * MemoryLayout<SttsBox.Entry>.stride
        case let b as StscBox: b.entries.capacity * MemoryLayout<StscBox.Entry>.stride
        case let b as StszBox: b.entrySizes.capacity * 4
        case let b as StcoBox: b.chunkOffsets.capacity * 4
        case let b as FtypBox: b.compatibleBrands.capacity * MemoryLayout<FourCC>.stride
        case let b as TrafBox: b.truns.reduce(0) { $0 + tableBytes($1) }
        case let b as MoofBox: b.trafs.reduce(0) { $0 + tableBytes($1) }
        case let b as MfraBox: b.tfras.reduce(0) { $0 + tableBytes($1) }
        default: 0
        }
    }

    /// Decodes the box at `found` in `bytes` with its own type and runs the shared fuzz entry on the whole file;
    /// records an issue for an untyped error, a table above ``memoryBound`` or a resident peak that grew by more.
    static func attack(_ bytes: [UInt8], _ found: Found, _ label: String) {
        let peak = peakResident()
        if let type = boxType(found.type) {
            let boxBytes = Array(bytes[found.offset..<min(bytes.count, found.offset + found.size)])
            do {
                let box = try type.decode(boxBytes)
                #expect(tableBytes(box) < memoryBound, "\(label): decoded tables hold \(tableBytes(box)) bytes")
            } catch {
                #expect(error is MP4Error, "\(label): untyped error \(error)")
            }
        }
        FuzzEntry.boxReader(bytes)
        #expect(peakResident() - peak < 4 * memoryBound, "\(label): resident peak grew by \(peakResident() - peak) bytes")
    }

    static let files: [(name: String, bytes: [UInt8])] = [
        ("ismv", try! Synthetic.ismv(frames: 12, gop: 6).bytes),
        ("isma", try! Synthetic.isma(frames: 6, perFragment: 3).bytes),
        ("encrypted ismv", try! Self.encryptedISMV()),
    ]

    /// A protected `.ismv` (encv/sinf/tenc, pssh, senc/saiz/saio/PIFF box) from a stand-in protector that
    /// flips bits: the structure is what matters here.
    final class BitFlipProtector: SampleProtector {
        let track = TrackProtection(kid: Array(1...16), ivSize: 8, pssh: [PsshBox(systemID: Array(repeating: 0x9A, count: 16), data: [1, 2, 3])])
        var n: UInt64 = 0
        func protect(_ data: inout [UInt8], isVideo: Bool) throws -> SampleEncryptionEntry {
            n += 1
            for i in 5..<data.count { data[i] ^= 0x5A }
            let iv = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * UInt64($0))) }
            return SampleEncryptionEntry(iv: iv, subsamples: isVideo ? [Subsample(clearBytes: 5, protectedBytes: UInt32(data.count - 5))] : [])
        }
    }

    static func encryptedISMV() throws -> [UInt8] {
        let sink = MemorySink()
        let f = try Fragmenter(sink: sink, trackID: 1, codec: .video(Synthetic.videoConfig()), protector: BitFlipProtector())
        try f.append(contentsOf: Synthetic.video(frames: 12, gop: 6))
        _ = try f.finish()
        return sink.bytes
    }

    @Test(arguments: [0, 1, 2])
    func everyCountFieldAtItsEdges(_ which: Int) {
        let (name, original) = Self.files[which]
        let found = Self.boxes(original, from: 0, to: original.count)
        // Every box type the reader knows appears in one of the two files, and this test attacks it.
        #expect(found.contains { $0.type == "trun" } && found.contains { $0.type == "tfra" })
        var cases = 0
        for box in found {
            // Size field: the box's own byte count, attacked like a count.
            let sizeBound = UInt64(original.count - box.offset)
            for value in [0, 1, 7, 8, sizeBound, sizeBound + 1, UInt64(UInt32.max)] {
                var bytes = original
                Self.put(value, width: 4, into: &bytes, at: box.offset)
                Self.attack(bytes, box, "\(name) \(box.type)@\(box.offset) size=\(value)")
                cases += 1
            }
            // Version/flags: as written, no optional fields, every optional field, an unknown version.
            let versionFlags: [UInt32?] = box.fullBox ? [nil, 0x0000_0000, 0x00FF_FFFF, 0x01FF_FFFF, 0x0100_0001, 0xFF00_0000] : [nil]
            for vf in versionFlags {
                for field in box.fields where field.offset + field.width <= box.size {
                    let remaining = UInt64(box.size - field.offset - field.width)
                    let perEntry = UInt64(max(field.entrySize, 1))
                    let maxValue = field.width == 4 ? UInt64(UInt32.max) : (1 << (8 * UInt64(field.width))) - 1
                    let values = Set([0, 1, remaining / perEntry, remaining / perEntry + 1, remaining, maxValue, 0xFFFF_FFF0])
                        .map { min($0, maxValue) }
                    for value in Set(values).sorted() {
                        var bytes = original
                        if let vf { Self.put(UInt64(vf), width: 4, into: &bytes, at: box.offset + 8) }
                        Self.put(value, width: field.width, into: &bytes, at: box.offset + field.offset)
                        Self.attack(bytes, box, "\(name) \(field) = \(value), version/flags \(vf.map { String($0, radix: 16) } ?? "as written")")
                        cases += 1
                    }
                }
            }
        }
        #expect(cases > 100, "only \(cases) cases: the walk did not find the boxes")
    }

    /// The file of issue 11: the first trun says "data offset only" (0x000001) and 0xFFFFFFF0 samples.
    /// Before the fix the bound check passed (samples of zero bytes) and reserveCapacity asked for 128 GiB.
    @Test func trunWithZeroSizeSamplesAndAHugeCount() throws {
        var bytes = Self.files[0].bytes
        let trun = try #require(Self.boxes(bytes, from: 0, to: bytes.count).first { $0.type == "trun" })
        Self.put(0x0000_0001, width: 4, into: &bytes, at: trun.offset + 8)
        Self.put(0xFFFF_FFF0, width: 4, into: &bytes, at: trun.offset + 12)
        let error = try #require(throws: MP4Error.self) {
            try TrunBox.decode(Array(bytes[trun.offset..<(trun.offset + trun.size)]))
        }
        #expect(error.code == .boxTooLarge, "\(error)")
        let tree = try BoxDump.tree(of: bytes)
        let problem = try #require(tree.lazy.compactMap(\.firstError).first)
        #expect(problem.contains("moof/traf/trun") && problem.contains("4294967280 samples"), "\(problem)")
        FuzzEntry.boxReader(bytes)
    }

    /// Sized entries must fit in what remains; zero-size entries (all values from defaults) need no bytes but
    /// have their own small cap: a count at a bound parses, one more does not.
    @Test func zeroSizeEntriesHaveTheirOwnCap() throws {
        let reader = ByteReader([UInt8](repeating: 0, count: 100))
        #expect(try reader.boundedCount(1, entrySize: 0) == 1)
        #expect(try ByteReader([]).boundedCount(UInt64(ByteReader.maxFieldlessEntryCount), entrySize: 0)
                == ByteReader.maxFieldlessEntryCount)
        let fieldless = try #require(throws: MP4Error.self) {
            try reader.boundedCount(UInt64(ByteReader.maxFieldlessEntryCount) + 1, entrySize: 0)
        }
        #expect(fieldless.code == .boxTooLarge)
        #expect(try reader.boundedCount(25, entrySize: 4) == 25)
        #expect(throws: MP4Error.self) { try reader.boundedCount(26, entrySize: 4) }
        #expect(throws: MP4Error.self) { try reader.boundedCount(1, entrySize: Int.max) }
        #expect(throws: MP4Error.self) { try reader.boundedCount(UInt64.max, entrySize: 1) }
        let big = ByteReader([UInt8](repeating: 0, count: ByteReader.maxEntryCount + 1))
        #expect(try big.boundedCount(UInt64(ByteReader.maxEntryCount), entrySize: 1) == ByteReader.maxEntryCount)
        let capped = try #require(throws: MP4Error.self) {
            try big.boundedCount(UInt64(ByteReader.maxEntryCount) + 1, entrySize: 1)
        }
        #expect(capped.code == .boxTooLarge)
    }

    /// The cap makes a large table impossible: the biggest entry the reader stores, times the cap, is under 256 MB,
    /// whatever the file says.
    @Test func capBoundsEveryTable() {
        let strides = [
            MemoryLayout<TrunSample>.stride, MemoryLayout<TfraBox.Entry>.stride, MemoryLayout<SttsBox.Entry>.stride,
            MemoryLayout<StscBox.Entry>.stride, MemoryLayout<UInt32>.stride, MemoryLayout<FourCC>.stride,
        ]
        for stride in strides { #expect(ByteReader.maxEntryCount * stride <= 256 << 20, "stride \(stride)") }
    }
}
