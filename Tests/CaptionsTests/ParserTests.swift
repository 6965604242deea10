import Captions
import Testing

/// Table tests of the three parsers on normal and hostile inputs: times on the 10 MHz clock, text with line
/// breaks, italics and bold; repairs give warnings, refusals give `file:line: reason`.
@Suite struct ParserTests {
    static func ms(_ v: Int64) -> Int64 { v * 10_000 }

    static func parse(_ text: String, _ format: CaptionFormat?, file: String = "in") throws -> CaptionTrack {
        try CaptionFile.parse(Array(text.utf8), format: format, file: file)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var format: CaptionFormat?
        var text: String
        var cues: [(Int64, Int64, String)]
        var testDescription: String { name }
    }

    static let good: [Row] = [
        Row(name: "srt basic", format: .srt, text: "1\n00:00:01,000 --> 00:00:02,500\nHello\nworld\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n",
            cues: [(ms(1000), ms(2500), "Hello\nworld"), (ms(3000), ms(4000), "Bye")]),
        Row(name: "srt without counters, dot separator, coordinates", format: .srt,
            text: "00:00:01.000 --> 00:00:02.000 X1:10 X2:20 Y1:1 Y2:2\nA\n",
            cues: [(ms(1000), ms(2000), "A")]),
        Row(name: "srt long hours and 1-digit fraction", format: .srt, text: "1\n100:00:00,5 --> 100:00:01,25\nx\n",
            cues: [(360_000 * 10_000_000 + ms(500), 360_001 * 10_000_000 + ms(250), "x")]),
        Row(name: "srt markup kept as text", format: .srt, text: "1\n00:00:00,000 --> 00:00:01,000\n<i>a</i> & b <font color=\"red\">c</font>\n",
            cues: [(0, ms(1000), "a & b c")]),
        Row(name: "srt out of order sorted", format: .srt,
            text: "2\n00:00:05,000 --> 00:00:06,000\nB\n\n1\n00:00:01,000 --> 00:00:02,000\nA\n",
            cues: [(ms(1000), ms(2000), "A"), (ms(5000), ms(6000), "B")]),
        Row(name: "srt zero-length cue left out", format: .srt,
            text: "1\n00:00:01,000 --> 00:00:01,000\nnothing\n\n2\n00:00:02,000 --> 00:00:03,000\nB\n",
            cues: [(ms(2000), ms(3000), "B")]),
        Row(name: "srt overlapping cues kept", format: .srt,
            text: "1\n00:00:01,000 --> 00:00:04,000\nA\n\n2\n00:00:02,000 --> 00:00:03,000\nB\n",
            cues: [(ms(1000), ms(4000), "A"), (ms(2000), ms(3000), "B")]),
        Row(name: "vtt basic with header, note, style, ids, settings", format: .webvtt,
            text: "WEBVTT - a title\nKind: captions\n\nNOTE a comment\nspanning\n\nSTYLE\n::cue { color: red }\n\nid-1\n00:01.000 --> 00:02.000 align:start line:0\n<v Roger>Hi &amp; <b>bye</b> &lt;3\n\n01:00:00.000 --> 01:00:01.000\nlate\n",
            cues: [(ms(1000), ms(2000), "Hi & bye <3"), (36_000_000_000, 36_010_000_000, "late")]),
        Row(name: "vtt timestamp map shifts", format: .webvtt,
            text: "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\n00:00.000 --> 00:01.000\nx\n",
            cues: [(ms(10_000), ms(11_000), "x")]),
        Row(name: "ttml clock, offset, frames, ticks, nesting", format: .ttml, text: """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment -->
            <tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" ttp:frameRate="25" ttp:tickRate="10000000" xml:lang="fr">
            <body><div begin="10s">
              <p begin="00:00:01.000" end="00:00:02.000">one</p>
              <p begin="1.5s" dur="500ms">two<br/>lines</p>
              <p begin="00:00:03:05" end="00:00:04:00">frames</p>
              <p begin="50000000t" end="60000000t">ticks &amp; &#x4E2D;</p>
            </div></body></tt>
            """,
            cues: [(ms(11000), ms(12000), "one"), (ms(11500), ms(12000), "two\nlines"),
                   (ms(13200), ms(14000), "frames"), (ms(15000), ms(16000), "ticks & 中")]),
        Row(name: "dfxp namespace, styles by reference, whitespace", format: .ttml, text: """
            <tt xmlns="http://www.w3.org/2006/10/ttaf1" xmlns:tts="http://www.w3.org/2006/10/ttaf1#styling">
            <head><styling><style xml:id="it" tts:fontStyle="italic"/></styling></head>
            <body><div><p begin="0s" end="1s" style="it">  spread
                 over   lines <span tts:fontStyle="normal">plain</span></p></div></body></tt>
            """,
            cues: [(0, ms(1000), "spread over lines plain")]),
        Row(name: "sniffed vtt", format: nil, text: "WEBVTT\n\n00:00.500 --> 00:01.000\nx\n", cues: [(ms(500), ms(1000), "x")]),
        Row(name: "sniffed srt", format: nil, text: "1\n00:00:00,500 --> 00:00:01,000\nx\n", cues: [(ms(500), ms(1000), "x")]),
    ]

    @Test(arguments: good) func parsesNormalInput(_ row: Row) throws {
        let track = try Self.parse(row.text, row.format)
        let got = track.cues.map { "\($0.start)-\($0.end):\($0.plainText)" }
        let want = row.cues.map { "\($0.0)-\($0.1):\($0.2)" }
        #expect(got == want)
    }

    @Test func stylingIsCarried() throws {
        let srt = try Self.parse("1\n00:00:00,000 --> 00:00:01,000\n<i>it</i> <b>bold</b>{\\i1}ass{\\i0}\n", .srt)
        #expect(srt.cues[0].lines == [[CueSpan("it", italic: true), CueSpan(" "), CueSpan("bold", bold: true),
                                       CueSpan("ass", italic: true)]])
        let ttml = try Self.parse("""
            <tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling"><body><div>
            <p begin="0s" end="1s">a <span tts:fontWeight="bold">b<span tts:fontStyle="italic">c</span></span></p>
            </div></body></tt>
            """, .ttml)
        #expect(ttml.cues[0].lines == [[CueSpan("a "), CueSpan("b", bold: true), CueSpan("c", italic: true, bold: true)]])
    }

    struct Repair: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var warning: String
        var testDescription: String { name }
    }

    static let srt = "1\r\n00:00:01,000 --> 00:00:02,000\r\nÉté\r\n"
    static func utf16(_ s: String, little: Bool, bom: Bool) -> [UInt8] {
        var out: [UInt8] = bom ? (little ? [0xFF, 0xFE] : [0xFE, 0xFF]) : []
        for u in s.utf16 { out += little ? [UInt8(u & 0xFF), UInt8(u >> 8)] : [UInt8(u >> 8), UInt8(u & 0xFF)] }
        return out
    }
    static let repairs: [Repair] = [
        Repair(name: "utf-8 bom", bytes: [0xEF, 0xBB, 0xBF] + Array(srt.utf8), warning: "in: UTF-8 byte order mark removed"),
        Repair(name: "utf-16 le", bytes: utf16(srt, little: true, bom: true), warning: "in: decoded from UTF-16 LE"),
        Repair(name: "utf-16 be", bytes: utf16(srt, little: false, bom: true), warning: "in: decoded from UTF-16 BE"),
        Repair(name: "utf-16 le without bom", bytes: utf16(srt, little: true, bom: false),
               warning: "in: decoded from UTF-16 LE (no byte order mark)"),
        Repair(name: "crlf", bytes: Array(srt.utf8), warning: "in: CRLF line endings read as LF"),
    ]

    @Test(arguments: repairs) func repairsWithAWarning(_ r: Repair) throws {
        let track = try CaptionFile.parse(r.bytes, format: .srt, file: "in")
        #expect(track.cues.map(\.plainText) == ["Été"])
        #expect(track.cues.first?.start == 10_000_000)
        #expect(track.warnings.map(\.description).contains(r.warning), "\(track.warnings)")
    }

    @Test func clampsToTheDuration() throws {
        let track = try Self.parse("1\n00:00:01,000 --> 00:00:09,000\nA\n\n2\n00:00:10,000 --> 00:00:11,000\nB\n", .srt)
            .clamped(to: 50_000_000, file: "in")
        #expect(track.cues.map { [$0.start, $0.end] } == [[10_000_000, 50_000_000]])
        #expect(track.warnings.map(\.description) == [
            "in: 1 cue(s) running past the end (00:00:05.000) clamped to it",
            "in: 1 cue(s) starting after the end (00:00:05.000) left out",
        ])
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var format: CaptionFormat?
        var bytes: [UInt8]
        var error: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "srt bad timestamp", format: .srt, bytes: Array("1\n00:00:01,000 --> 00:61:02,000\nx\n".utf8),
                error: "cap.srt:2: bad time stamp in \"00:00:01,000 --> 00:61:02,000\""),
        Refusal(name: "srt negative time", format: .srt, bytes: Array("1\n-00:00:01,000 --> 00:00:02,000\nx\n".utf8),
                error: "cap.srt:2: bad time stamp in \"-00:00:01,000 --> 00:00:02,000\""),
        Refusal(name: "srt end before start", format: .srt, bytes: Array("\n\n1\n00:00:05,000 --> 00:00:02,000\nx\n".utf8),
                error: "cap.srt:4: cue ends at 00:00:02.000 before it starts at 00:00:05.000"),
        Refusal(name: "srt no time line", format: .srt, bytes: Array("1\nhello\nworld\n".utf8),
                error: "cap.srt:2: expected a time line like 00:00:01,000 --> 00:00:02,500, found \"hello\""),
        Refusal(name: "latin-1 bytes", format: .srt, bytes: Array("1\n00:00:01,000 --> 00:00:02,000\n".utf8) + [0x45, 0x74, 0xE9, 0x74, 0x65, 0x0A],
                error: "cap.srt:3: not UTF-8 or UTF-16 (byte 0xE9 0x74)"),
        Refusal(name: "overlong utf-8", format: .srt, bytes: [0x31, 0x0A, 0xC0, 0xAF],
                error: "cap.srt:2: not UTF-8 or UTF-16 (byte 0xC0)"),
        Refusal(name: "nul byte", format: .srt, bytes: [0x31, 0x0A, 0x00, 0x31, 0x32],
                error: "cap.srt:2: NUL byte: not a text file"),
        Refusal(name: "odd utf-16", format: .srt, bytes: [0xFF, 0xFE, 0x31],
                error: "cap.srt: UTF-16 text with an odd number of bytes"),
        Refusal(name: "vtt without signature", format: .webvtt, bytes: Array("WEBVTTX\n\n00:00.000 --> 00:01.000\nx\n".utf8),
                error: "cap.srt:1: not WebVTT: the first line must be WEBVTT"),
        Refusal(name: "vtt bad cue", format: .webvtt, bytes: Array("WEBVTT\n\n00:00.000 --> 00:01\nx\n".utf8),
                error: "cap.srt:3: bad time stamp in \"00:00.000 --> 00:01\""),
        Refusal(name: "ttml doctype", format: .ttml,
                bytes: Array("<?xml version=\"1.0\"?>\n<!DOCTYPE tt [<!ENTITY a \"aaaa\">]>\n<tt/>".utf8),
                error: "cap.srt:2: DOCTYPE declarations are not accepted in TTML"),
        Refusal(name: "ttml unknown entity", format: .ttml,
                bytes: Array("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body><div>\n<p begin=\"0s\" end=\"1s\">&lol;</p></div></body></tt>".utf8),
                error: "cap.srt:2: unknown entity &lol;"),
        Refusal(name: "ttml unclosed", format: .ttml,
                bytes: Array("<tt xmlns=\"http://www.w3.org/ns/ttml\">\n<body>\n<div>\n</body></tt>".utf8),
                error: "cap.srt:4: </body> does not close <div> (line 3)"),
        Refusal(name: "ttml p without end", format: .ttml,
                bytes: Array("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body><div>\n<p begin=\"1s\">x</p></div></body></tt>".utf8),
                error: "cap.srt:2: <p> has no end or dur and no ancestor ends it"),
        Refusal(name: "ttml bad time", format: .ttml,
                bytes: Array("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body><div>\n\n<p begin=\"1x\" end=\"2s\">x</p></div></body></tt>".utf8),
                error: "cap.srt:3: bad begin time \"1x\""),
        Refusal(name: "ttml wrong root", format: .ttml, bytes: Array("<html/>".utf8),
                error: "cap.srt:1: not TTML: the root element is <html>, expected <tt>"),
        Refusal(name: "ttml smpte time base", format: .ttml,
                bytes: Array("<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" ttp:timeBase=\"smpte\"/>".utf8),
                error: "cap.srt:1: ttp:timeBase=\"smpte\" is not supported (only media)"),
        Refusal(name: "not a caption file", format: nil, bytes: Array("hello".utf8), error: "cap.srt:1: not SRT, WebVTT or TTML"),
    ]

    @Test(arguments: refusals) func refusesWithFileAndLine(_ r: Refusal) {
        #expect(throws: CaptionError.self) { try CaptionFile.parse(r.bytes, format: r.format, file: "cap.srt") }
        do {
            _ = try CaptionFile.parse(r.bytes, format: r.format, file: "cap.srt")
        } catch {
            #expect(error.description == r.error)
        }
    }

    @Test func hostileSizesAreCapped() throws {
        var limits = CaptionLimits()
        limits.maxCues = 10
        var text = ""
        for k in 0..<11 { text += "\(k)\n00:00:0\(k % 10),000 --> 00:00:0\(k % 10),500\nx\n\n" }
        #expect(throws: CaptionError.self) { try CaptionFile.parse(Array(text.utf8), format: .srt, file: "f", limits: limits) }
        limits = CaptionLimits()
        limits.maxBytes = 100
        #expect(throws: CaptionError.self) {
            try CaptionFile.parse([UInt8](repeating: 0x31, count: 101), format: .srt, file: "f", limits: limits)
        }
        // A deep nest is refused at the cap instead of exhausting the stack.
        let deep = "<tt xmlns=\"http://www.w3.org/ns/ttml\">" + String(repeating: "<div>", count: 10_000)
        #expect(throws: CaptionError.self) { try CaptionFile.parse(Array(deep.utf8), format: .ttml, file: "f") }
        // A huge counter or hour field is text or a refusal, never a trap.
        #expect(throws: CaptionError.self) {
            try Self.parse("99999999999999999999\n99999999999:00:00,000 --> 99999999999:00:01,000\nx\n", .srt)
        }
        #expect(throws: CaptionError.self) {
            try Self.parse("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body><p begin=\"999999999999h\" end=\"1s\">x</p></body></tt>", .ttml)
        }
    }
}
