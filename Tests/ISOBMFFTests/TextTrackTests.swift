import ISOBMFF
import MediaCore
import Testing

/// The text track (`.ismt`): the `stpp` sample entry and `sthd` bytes, a TTML fragment's `moof`+`mdat`, and a
/// whole file read back by our reader and checker.
@Suite struct TextTrackTests {
    @Test func stppBytes() throws {
        // size 0x2C: 8 + 6 reserved + 2 data_reference_index + "http://www.w3.org/ns/ttml\0" (26) + "\0" + "\0"
        let bytes = try StppSampleEntry().encoded()
        #expect(bytes == hex("""
            0000002C 73747070 000000000000 0001
            687474703A2F2F7777772E77332E6F72672F6E732F74746D6C00 00 00
            """))
        var r = ByteReader(Array(bytes.dropFirst(8)))
        #expect(try StppSampleEntry(body: &r) == StppSampleEntry())
        // As an stsd entry it is the same bytes.
        var w = ByteWriter(capacity: 64)
        try StppSampleEntry().sampleEntry.write(to: &w)
        #expect(w.bytes == bytes)
    }

    @Test func sthdBytes() throws {
        #expect(try SthdBox().encoded() == hex("0000000C 73746864 00000000"))
    }

    @Test func textFragmentBytes() throws {
        let sink = MemorySink()
        let writer = try TextFragmenter(sink: sink, trackID: 3, language: "eng")
        let header = sink.bytes.count
        let document: [UInt8] = Array("<tt/>".utf8)
        try writer.append(document: document, time: 20_000_000, duration: 20_000_000)
        let index = try writer.finish()
        let fragment = Array(sink.bytes[header..<(header + Int(index.fragments[0].moofSize + index.fragments[0].mdatSize))])
        // moof: mfhd seq 1; traf: tfhd (track 3, default flags sync), tfdt v1 = 2 s, trun (1 sample: duration,
        // size, data offset), tfxd v1 (2 s, 2 s); then mdat holding the document.
        #expect(fragment == hex("""
            00000090 6D6F6F66
              00000010 6D666864 00000000 00000001
              00000078 74726166
                00000014 74666864 00000020 00000003 02000000
                00000014 74666474 01000000 0000000001312D00
                0000001C 7472756E 00000301 00000001 00000098 01312D00 00000005
                0000002C 75756964 6D1D9B0542D544E680E2141DAFF757B2 01000000 0000000001312D00 0000000001312D00
            0000000D 6D646174 3C74742F3E
            """))
        #expect(index.fragments.map(\.time) == [20_000_000])
    }

    @Test func aTextFileReadsBackAndPassesTheChecker() throws {
        let sink = MemorySink()
        let writer = try TextFragmenter(sink: sink, trackID: 3, language: "fra")
        for k in 0..<3 {
            try writer.append(document: Array("<tt>\(k)</tt>".utf8), time: Int64(k) * 20_000_000, duration: 20_000_000)
        }
        let index = try writer.finish()
        #expect(Int64(sink.bytes.count) == index.totalBytes)
        let source = MemorySource(sink.bytes)
        let tracks = try MovieReader.tracks(in: source)
        #expect(tracks.map(\.trackID) == [3])
        let moov = try BoxDump.render(BoxDump.tree(of: sink.bytes))
        #expect(moov.contains("stpp") && moov.contains("sthd") && moov.contains("subt"), "\(moov)")
        let table = try RandomAccessIndex.load(from: source).table(trackID: 3)
        #expect(table?.entries.map(\.time) == [0, 20_000_000, 40_000_000])
        #expect(IsmvChecker.check(source).isEmpty, "\(IsmvChecker.check(source))")
        // Non-contiguous times are refused.
        let bad = try TextFragmenter(sink: MemorySink(), trackID: 3, language: "und")
        try bad.append(document: [1], time: 0, duration: 10)
        #expect(throws: FragmenterError.self) { try bad.append(document: [1], time: 20, duration: 10) }
    }
}
