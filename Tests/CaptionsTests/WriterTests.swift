import Captions
import Testing

/// The TTML fragment writer and the WebVTT segment writer: exact text, escaping, relative times, empty
/// bodies, and a read-back through our own parsers.
@Suite struct WriterTests {
    static let cues = [
        Cue(start: 10_000_000, end: 25_000_000, lines: [[CueSpan("Tom & <Jerry> \"quoted\" 'x'")],
                                                        [CueSpan("it", italic: true), CueSpan(" "), CueSpan("b", bold: true)]]),
        Cue(start: 30_000_000, end: 31_234_567, text: "second"),
    ]

    @Test func ttmlFragmentHasRelativeTimesAndEscapes() {
        let doc = String(decoding: TTMLWriter(language: "en").document(cues: Self.cues, fragmentStart: 20_000_000,
                                                                        duration: 20_000_000), as: UTF8.self)
        #expect(doc.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\""))
        #expect(doc.contains("xml:lang=\"en\""))
        // The first cue is cut to the fragment start: 0 to 0.5 s; the second 1.0 to 1.1234567 s.
        #expect(doc.contains("<p begin=\"00:00:00.000\" end=\"00:00:00.500\"><span style=\"s0\">Tom &amp; &lt;Jerry&gt; &quot;quoted&quot; &apos;x&apos;</span><br/><span style=\"s0\" tts:fontStyle=\"italic\">it</span><span style=\"s0\"> </span><span style=\"s0\" tts:fontWeight=\"bold\">b</span></p>"))
        #expect(doc.contains("<p begin=\"00:00:01.000\" end=\"00:00:01.1234567\"><span style=\"s0\">second</span></p>"))
    }

    @Test func ttmlFragmentReadsBackShiftedByItsStart() throws {
        let start: Int64 = 20_020_000  // a 29.97 fps grid time, not a whole millisecond multiple of the cue
        let doc = TTMLWriter(language: "fr").document(cues: Self.cues, fragmentStart: start, duration: 20_000_000)
        let back = try CaptionFile.parse(doc, format: .ttml, file: "frag")
        #expect(back.declaredLanguage == "fr")
        #expect(back.cues.map { [$0.start + start, $0.end + start] } == [[start, 25_000_000], [30_000_000, 31_234_567]])
        #expect(back.cues[0].lines == Self.cues[0].lines)
    }

    @Test func emptyFragmentHasAnEmptyBody() throws {
        let doc = TTMLWriter(language: "en").document(cues: Self.cues, fragmentStart: 40_000_000, duration: 20_000_000)
        let text = String(decoding: doc, as: UTF8.self)
        #expect(text.hasSuffix("</head><body/></tt>\n"))
        #expect(try CaptionFile.parse(doc, format: .ttml, file: "empty").cues.isEmpty)
    }

    @Test func controlCharactersNeverReachTheXML() {
        let cue = Cue(start: 0, end: 10, text: "a\u{1}b\u{FFFF}c")
        let doc = String(decoding: TTMLWriter(language: "en").document(cues: [cue], fragmentStart: 0, duration: 10), as: UTF8.self)
        #expect(doc.contains(">abc</span>"))
    }

    @Test func webVTTSegmentHasTheTimestampMapAndWholeCues() throws {
        let seg = WebVTTWriter.segment(cues: Self.cues, start: 20_000_000, duration: 10_000_000)
        let text = String(decoding: seg, as: UTF8.self)
        #expect(text == """
            WEBVTT
            X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000

            00:00:01.000 --> 00:00:02.500
            Tom &amp; &lt;Jerry&gt; "quoted" 'x'
            <i>it</i> <b>b</b>


            """)
        let back = try CaptionFile.parse(seg, format: .webvtt, file: "seg")
        #expect(back.cues == [Self.cues[0]])
        let empty = WebVTTWriter.segment(cues: Self.cues, start: 40_000_000, duration: 10_000_000)
        #expect(String(decoding: empty, as: UTF8.self) == "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n")
    }

    @Test func fuzzEntryFindsNothingInGoodFiles() {
        #expect(Captions.FuzzEntry.captionParsers(Array("1\n00:00:01,000 --> 00:00:02,000\n<i>x</i> &amp; y\n".utf8)).isEmpty)
        #expect(Captions.FuzzEntry.ttmlParser(TTMLWriter(language: "en").document(cues: Self.cues, fragmentStart: 0,
                                                                                   duration: 40_000_000)).isEmpty)
    }
}
