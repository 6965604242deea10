import Captions
import Testing

/// TTML samples of an MP4 `stpp` track (`EmbeddedCueText.ttmlSample`): times on the track timeline as
/// ISO 14496-30 §5.3 says (what FFmpeg's mp4 muxer writes), or relative to the sample as Smooth Streaming
/// `.ismt` fragments carry them; cues cut to the sample.
@Suite struct TTMLSampleTests {
    static func ms(_ v: Int64) -> Int64 { v * 10_000 }

    static func document(_ paragraphs: [(String, String, String)]) -> [UInt8] {
        let body = paragraphs.map { "<p begin=\"\($0.0)\" end=\"\($0.1)\">\($0.2)</p>" }.joined()
        return Array("""
            <?xml version="1.0" encoding="utf-8"?>
            <tt xmlns="http://www.w3.org/ns/ttml" xml:lang=""><body><div>\(body)</div></body></tt>
            """.utf8)
    }

    /// FFmpeg's layout: one sample at 0 spanning every cue, the cues at their own times.
    @Test func oneSampleAtZeroHoldsTrackTimes() throws {
        let doc = Self.document([("00:00:00.500", "00:00:01.500", "Hello"), ("00:00:02.250", "00:00:03.000", "Last")])
        let read = try EmbeddedCueText.ttmlSample(doc, sampleStart: 0, sampleEnd: Self.ms(3000), file: "s")
        #expect(!read.relative)
        #expect(read.cues.map { [$0.start, $0.end] } == [[Self.ms(500), Self.ms(1500)], [Self.ms(2250), Self.ms(3000)]])
        #expect(read.cues.map(\.plainText) == ["Hello", "Last"])
    }

    /// A later sample whose cues lie inside it as track times: read as track times, cut to the sample.
    @Test func laterSampleWithTrackTimesIsCutToTheSample() throws {
        let doc = Self.document([("00:00:09.000", "00:00:11.000", "Across"), ("00:00:11.500", "00:00:14.000", "Past the end")])
        let read = try EmbeddedCueText.ttmlSample(doc, sampleStart: Self.ms(10_000), sampleEnd: Self.ms(12_000), file: "s")
        #expect(!read.relative)
        #expect(read.cues.map { [$0.start, $0.end] } == [[Self.ms(10_000), Self.ms(11_000)], [Self.ms(11_500), Self.ms(12_000)]])
    }

    /// Smooth Streaming fragments (ours): every fragment's document is relative to the fragment start. Reading
    /// each fragment back as a sample gives the original cues, cut at the fragment boundaries.
    @Test func smoothFragmentsReadRelativeToTheSample() throws {
        let cues = [Cue(start: Self.ms(500), end: Self.ms(1250), text: "One & <two>"),
                    Cue(start: Self.ms(1900), end: Self.ms(2700), text: "Across\na boundary"),
                    Cue(start: Self.ms(4100), end: Self.ms(4600), text: "Third")]
        let writer = TTMLWriter(language: "en")
        var back: [Cue] = []
        var relative: [Bool] = []
        for k in Int64(0)..<Int64(3) {
            let start = Self.ms(2000) * k, duration = Self.ms(2000)
            let doc = writer.document(cues: cues, fragmentStart: start, duration: duration)
            let read = try EmbeddedCueText.ttmlSample(doc, sampleStart: start, sampleEnd: start + duration, file: "f\(k)")
            back += read.cues
            if !read.cues.isEmpty { relative.append(read.relative) }
        }
        // The first fragment starts at 0: both readings agree, the track reading is kept.
        #expect(relative == [false, true, true])
        #expect(back.map { [$0.start, $0.end] }
            == [[Self.ms(500), Self.ms(1250)], [Self.ms(1900), Self.ms(2000)], [Self.ms(2000), Self.ms(2700)],
                [Self.ms(4100), Self.ms(4600)]])
        #expect(back.map(\.plainText) == ["One & <two>", "Across\na boundary", "Across\na boundary", "Third"])
        // Joined again at the boundary: the original cues.
        #expect(EmbeddedCueText.joiningCut(back.reversed()) == cues)
    }

    /// No duration: the document's cues as they are; an empty body: no cues; a broken document and a sample
    /// time past the cap: a `file:line: reason` error.
    @Test func edgeCases() throws {
        let doc = Self.document([("1s", "2s", "x")])
        #expect(try EmbeddedCueText.ttmlSample(doc, sampleStart: Self.ms(5000), sampleEnd: nil, file: "s").cues.count == 1)
        let empty = Array("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body/></tt>".utf8)
        #expect(try EmbeddedCueText.ttmlSample(empty, sampleStart: 0, sampleEnd: Self.ms(2000), file: "s").cues.isEmpty)
        // Outside the sample read either way: nothing shown.
        let stale = Self.document([("00:00:20.000", "00:00:21.000", "later")])
        #expect(try EmbeddedCueText.ttmlSample(stale, sampleStart: Self.ms(10_000), sampleEnd: Self.ms(10_200), file: "s").cues
            .isEmpty)
        do {
            _ = try EmbeddedCueText.ttmlSample(Array("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body><p begin=\"x\" end=\"1s\">a</p></body></tt>".utf8),
                                               sampleStart: 0, sampleEnd: Self.ms(1000), file: "clip.mp4#1")
            Issue.record("a bad begin time was accepted")
        } catch {
            #expect("\(error)".hasPrefix("clip.mp4#1:1: bad begin time"), "\(error)")
        }
        #expect(throws: CaptionError.self) {
            try EmbeddedCueText.ttmlSample(doc, sampleStart: Int64.max - 1, sampleEnd: Int64.max, file: "s")
        }
        // Other codecs' reader refuses TTML packets (they are whole documents, not cue text).
        #expect(EmbeddedCueText.lines(codec: "ttml", payload: doc) == nil)
    }
}
