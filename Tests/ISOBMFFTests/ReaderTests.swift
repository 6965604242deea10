import ISOBMFF
import MediaCore
import Testing

@Suite struct ReaderTests {
    @Test func tfraLoaderReadsOnlyTheTail() throws {
        let (bytes, index) = try Synthetic.ismv(frames: 30, gop: 10)
        let source = RecordingSource(MemorySource(bytes))
        let ra = try RandomAccessIndex.load(from: source)
        #expect(ra.mfraOffset == index.mfraOffset && ra.mfraSize == index.mfraSize)
        #expect(source.reads.allSatisfy { $0.lowerBound >= index.mfraOffset })
        #expect(ra.tables.count == 1)
        #expect(ra.tables[0].entries.map(\.time) == index.fragments.map { UInt64($0.time) })
        #expect(ra.tables[0].entries.map(\.moofOffset) == index.fragments.map { UInt64($0.moofOffset) })
        let second = try #require(ra.entry(trackID: 1, time: 4_000_000))
        #expect(try source.fragmentRange(moofOffset: Int64(second.moofOffset)) == index.fragments[1].byteRange)
        #expect(ra.entry(trackID: 1, time: 4_000_001) == nil)
        #expect(ra.entry(trackID: 2, time: 0) == nil)
    }

    @Test func moovReaderGivesBackCodecConfigs() throws {
        let video = try MovieReader.tracks(in: MemorySource(try Synthetic.ismv().bytes))
        #expect(video.count == 1)
        #expect(video[0].trackID == 1 && video[0].kind == .video && video[0].timescale == 10_000_000)
        #expect(video[0].codec == .video(Synthetic.videoConfig(frameDuration: Rational(1, 25))))
        let audio = try MovieReader.tracks(in: MemorySource(try Synthetic.isma().bytes))
        #expect(audio[0].trackID == 2 && audio[0].kind == .audio)
        #expect(audio[0].codec == .audio(Synthetic.audioConfig()))
    }

    @Test func moovReaderRecoversNtscFrameDuration() throws {
        let config = Synthetic.videoConfig(frameDuration: Rational(1001, 30000))
        let sink = MemorySink()
        let f = try Fragmenter(sink: sink, trackID: 1, codec: .video(config))
        try f.append(contentsOf: Synthetic.video(frames: 120, gop: 60, frameDuration: Rational(1001, 30000)))
        _ = try f.finish()
        #expect(try MovieReader.tracks(in: MemorySource(sink.bytes))[0].codec == .video(config))
    }

    @Test func readerRejectsBadSizes() throws {
        func code(_ bytes: [UInt8]) -> MP4Error.Code? {
            var r = ByteReader(bytes)
            do { while try r.nextBox() != nil {} } catch let e as MP4Error { return e.code } catch { return nil }
            return nil
        }
        #expect(code(hex("00000000 6D6F6F66")) == .zeroSize)
        #expect(code(hex("00000004 6D6F6F66")) == .badSize)
        #expect(code(hex("00000100 6D6F6F66 0000")) == .truncated)
        #expect(code(hex("00000001 6D646174 FFFFFFFFFFFFFFFF")) == .badSize)
        #expect(code(hex("000000")) == .truncated)
        // a child larger than its parent
        let overlapping = hex("00000010 6D6F6F66 00000010 6D666864")
        #expect(throws: MP4Error.self) { try MoofBox.decode(overlapping) }
        do {
            _ = try MoofBox.decode(overlapping)
        } catch let e as MP4Error {
            #expect(e.code == .overlapping && e.path == "moof/mfhd" && e.offset == 8)
        }
    }

    @Test func hostileCountsDoNotAllocate() throws {
        // trun claiming 2^32-1 samples in a 20-byte box
        let bytes = hex("00000014 7472756E 00000301 FFFFFFFF 00000000")
        #expect(throws: MP4Error.self) { try TrunBox.decode(bytes) }
        let tfra = hex("00000018 74667261 01000000 00000001 00000000 7FFFFFFF")
        #expect(throws: MP4Error.self) { try TfraBox.decode(tfra) }
    }

    @Test func errorsCarryPathAndOffset() throws {
        var (bytes, index) = try Synthetic.ismv()
        let trunOffset = Int(index.fragments[0].moofOffset) + 8 + 16 + 8 + 20 + 20  // after tfhd and tfdt
        bytes[trunOffset + 15] = 0xFF  // sample_count low byte → far more samples than the box holds
        do {
            _ = try FragmentIndex.read(from: MemorySource(bytes))
            Issue.record("expected an error")
        } catch let e as MP4Error {
            #expect(e.path == "moof/traf/trun")
            #expect(e.offset != nil)
            #expect("\(e)".contains("moof/traf/trun"))
        }
    }

    @Test func fileSourceReportsMissingFiles() {
        #expect(throws: PlatformError.self) { try FileSource(path: "/nonexistent/x.ismv") }
        #expect(IsmvChecker.check(path: "/nonexistent/x.ismv").count == 1)
    }
}

/// A source that records the ranges it was asked for.
final class RecordingSource: RandomAccessSource {
    let base: MemorySource
    var reads: [Range<Int64>] = []
    init(_ base: MemorySource) { self.base = base }
    var size: Int64 { base.size }
    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        reads.append(offset..<(offset + Int64(count)))
        return try base.read(at: offset, count: count)
    }
}
