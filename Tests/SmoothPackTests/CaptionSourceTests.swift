import Captions
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import MediaCore
import SmoothManifest
import Synchronization
import TestSupport
import Testing

@testable import SmoothPack

/// Subtitle streams inside sources the ffmpeg CLI makes: a TTML (`stpp`) track in an MP4, `ass` and `webvtt`
/// streams in an MKV (the WebVTT one marked hearing impaired: the SDH path in the `.ismc`, HLS and DASH), and a
/// PGS bitmap stream listed as not carried. Cues read back from the `.ismt` equal the input within 1 ms.
@Suite(.serialized) struct CaptionSourceTests {
    static let ms: Int64 = 10_000
    static let video = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=3"]
    static let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", "-b:v", "150k"]

    static func ffmpeg(_ arguments: [String]) throws {
        let r = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + arguments)
        #expect(r.status == 0, "ffmpeg \(arguments.joined(separator: " ")): \(r.stderr)")
    }

    static func packager() throws -> Packager {
        var options = PackagerOptions()
        options.captions.sidecars = false
        return try Packager(profile: .named("fast"), options: options)
    }

    /// Encodes `source`, returning the presentation and the notes its events carried.
    static func encode(_ source: String, into out: URL) async throws -> (Presentation, [String]) {
        let notes = Notes()
        let p = try await packager().encode(source: URL(fileURLWithPath: source), into: out) { event in
            if case .note(_, let text) = event { notes.lines.withLock { $0.append(text) } }
        }
        return (p, notes.lines.withLock { $0 })
    }

    final class Notes: Sendable {
        let lines = Mutex<[String]>([])
    }

    static func expectCues(_ got: [Cue], _ want: [(Int64, Int64, String)], _ label: String) {
        #expect(got.map(\.plainText) == want.map(\.2), "\(label): \(got)")
        #expect(got.count == want.count && zip(got, want).allSatisfy { abs($0.start - $1.0) <= ms && abs($0.end - $1.1) <= ms },
                "\(label): \(got.map { ($0.start, $0.end) }) vs \(want.map { ($0.0, $0.1) })")
    }

    /// FFmpeg 5.1 writes `-c:s ttml` into MP4 as an `stpp` track of one sample at 0 whose document holds every
    /// cue at its own time; its mov demuxer reads the track back as an unidentified data stream. It is carried,
    /// with its language, and nothing about it is left out.
    @Test func ttmlTrackInsideAnMP4() async throws {
        let dir = try TestPaths.temporaryDirectory("captions-ttml")
        let srt = "1\n00:00:00,500 --> 00:00:01,500\nHello <i>there</i>\n\n2\n00:00:02,250 --> 00:00:02,750\nSecond & last\non two lines\n"
        try Data(srt.utf8).write(to: dir.appendingPathComponent("en.srt"))
        let mp4 = dir.appendingPathComponent("ttml.mp4").path
        try Self.ffmpeg(Self.video + ["-i", dir.appendingPathComponent("en.srt").path, "-map", "0", "-map", "1"] + Self.x264
            + ["-c:s", "ttml", "-metadata:s:s:0", "language=eng", mp4])
        // The premise: what FFmpeg made is an stpp track.
        let probe = try External.ffprobeJSON(["-show_streams", mp4])
        let streams = (probe["streams"] as? [[String: Any]]) ?? []
        #expect(streams.count == 2 && streams.last?["codec_tag_string"] as? String == "stpp")

        let (p, notes) = try await Self.encode(mp4, into: dir.appendingPathComponent("out"))
        #expect(p.captions.map(\.trackName) == ["textstream_en"])
        #expect(p.captions.first?.input.hasSuffix("ttml.mp4#1") == true)
        #expect(p.captionsNotCarried.isEmpty, "\(p.captionsNotCarried)")
        #expect(!notes.contains { $0.contains("#1") || $0.contains("stream #1") }, "\(notes)")
        let client = try ClientManifest(xml: Array(try Data(contentsOf: p.directory.appendingPathComponent("ttml.ismc"))))
        #expect(client.streams.filter { $0.type == .text }.map(\.language) == ["eng"])
        Self.expectCues(try CaptionEndToEndTests.cues(of: p, stream: "textstream_en"),
                        [(500 * Self.ms, 1500 * Self.ms, "Hello there"), (2250 * Self.ms, 2750 * Self.ms, "Second & last\non two lines")],
                        "ttml")

        // The same file with its document's root renamed in place (`<tt` → `<xx`, the container untouched): no
        // cue can be read, so the stream is listed as not carried with the parser's reason, never dropped.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp4)))
        let root = Array("<tt\n".utf8)
        let at = try #require(bytes.indices.first { bytes[$0...].starts(with: root) })
        bytes.replaceSubrange(at..<(at + 3), with: Array("<xx".utf8))
        let broken = dir.appendingPathComponent("broken.mp4")
        try Data(bytes).write(to: broken)
        let (b, brokenNotes) = try await Self.encode(broken.path, into: dir.appendingPathComponent("out"))
        #expect(b.captions.isEmpty)
        let left = try #require(b.captionsNotCarried.first)
        #expect(b.captionsNotCarried.count == 1 && left.codec == "ttml" && left.input.hasSuffix("broken.mp4#1"))
        #expect(left.reason.hasPrefix("no cues: broken.mp4#1 (sample at 0.0 s):") && left.reason.contains("does not close <xx>"),
                "\(left.reason)")
        #expect(brokenNotes.contains { $0.contains("broken.mp4#1 (ttml) not carried") }, "\(brokenNotes)")
    }

    /// One MKV: an `ass` stream (English), a `webvtt` stream (German, hearing impaired) and a PGS bitmap
    /// stream. Both text streams arrive with their italics and bold; the German one is SDH everywhere
    /// (`Subtype="CAPT"`, the HLS accessibility characteristics, DASH role `caption`); the PGS stream is in
    /// `captionsNotCarried` with a note.
    @Test func assWebVTTAndBitmapStreamsInAnMKV() async throws {
        let dir = try TestPaths.temporaryDirectory("captions-mkv")
        let ass = """
            [Script Info]
            ScriptType: v4.00+

            [V4+ Styles]
            Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
            Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

            [Events]
            Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
            Dialogue: 0,0:00:00.50,0:00:01.50,Default,,0,0,0,,{\\i1}Hello{\\i0}, world\\Nsecond line
            Dialogue: 0,0:00:01.75,0:00:02.75,Default,,0,0,0,,{\\b1}Bold{\\b0} & done

            """
        let vtt = "WEBVTT\n\n00:00:00.750 --> 00:00:01.750\n<i>Music</i> [door slams]\n\n00:00:02.000 --> 00:00:02.900\nA &amp; B\n"
        try Data(ass.utf8).write(to: dir.appendingPathComponent("en.ass"))
        try Data(vtt.utf8).write(to: dir.appendingPathComponent("de.vtt"))
        try Data(Self.pgs()).write(to: dir.appendingPathComponent("bitmap.sup"))
        let mkv = dir.appendingPathComponent("three.mkv").path
        try Self.ffmpeg(Self.video + ["-i", dir.appendingPathComponent("en.ass").path, "-i", dir.appendingPathComponent("de.vtt").path,
                                      "-i", dir.appendingPathComponent("bitmap.sup").path,
                                      "-map", "0", "-map", "1", "-map", "2", "-map", "3"] + Self.x264
            + ["-c:s:0", "ass", "-c:s:1", "webvtt", "-c:s:2", "copy", "-metadata:s:s:0", "language=eng",
               "-metadata:s:s:1", "language=ger", "-disposition:s:1", "hearing_impaired", "-metadata:s:s:2", "language=eng", mkv])
        let codecs = ((try External.ffprobeJSON(["-show_streams", mkv])["streams"] as? [[String: Any]]) ?? [])
            .compactMap { $0["codec_name"] as? String }
        #expect(codecs == ["h264", "ass", "webvtt", "hdmv_pgs_subtitle"])

        let (p, notes) = try await Self.encode(mkv, into: dir.appendingPathComponent("out"))
        #expect(p.captions.map(\.trackName) == ["textstream_en", "textstream_de_sdh"])
        #expect(p.captions.map(\.role) == [.subtitles, .sdh])
        #expect(p.captions.map(\.file) == ["three_text_en.ismt", "three_text_de_sdh.ismt"])
        let bitmap = try #require(p.captionsNotCarried.first)
        #expect(p.captionsNotCarried.count == 1 && bitmap.codec == "hdmv_pgs_subtitle" && bitmap.input.hasSuffix("three.mkv#3"))
        #expect(bitmap.reason.contains("bitmap"))
        #expect(notes.contains { $0.contains("#3") && $0.contains("hdmv_pgs_subtitle") && $0.contains("not carried") }, "\(notes)")

        let en = try CaptionEndToEndTests.cues(of: p, stream: "textstream_en")
        Self.expectCues(en, [(500 * Self.ms, 1500 * Self.ms, "Hello, world\nsecond line"), (1750 * Self.ms, 2750 * Self.ms, "Bold & done")], "ass")
        #expect(en.first?.lines.first?.first == CueSpan("Hello", italic: true), "\(en)")
        #expect(en.last?.lines.first?.first == CueSpan("Bold", bold: true), "\(en)")
        let de = try CaptionEndToEndTests.cues(of: p, stream: "textstream_de_sdh")
        Self.expectCues(de, [(750 * Self.ms, 1750 * Self.ms, "Music [door slams]"), (2000 * Self.ms, 2900 * Self.ms, "A & B")], "webvtt")
        #expect(de.first?.lines.first?.first == CueSpan("Music", italic: true), "\(de)")

        // SDH in each manifest; plain subtitles stay SUBT / role subtitle.
        let client = try ClientManifest(xml: Array(try Data(contentsOf: p.directory.appendingPathComponent("three.ismc"))))
        let text = client.streams.filter { $0.type == .text }
        #expect(text.map(\.name) == ["textstream_en", "textstream_de_sdh"])
        #expect(text.map(\.subtype) == ["SUBT", "CAPT"] && text.map(\.language) == ["eng", "deu"])
        let master = String(decoding: try Data(contentsOf: p.directory.appendingPathComponent("three.m3u8")), as: UTF8.self)
        let media = master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-MEDIA:TYPE=SUBTITLES") }
        #expect(media.count == 2)
        #expect(media.contains { $0.contains("NAME=\"de (SDH)\",LANGUAGE=\"de\",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound\"") },
                "\(media)")
        #expect(media.filter { $0.contains("CHARACTERISTICS") }.count == 1)
        let roles = try Self.dashRoles(p.directory.appendingPathComponent("three.mpd"))
        #expect(roles["en"] == "subtitle" && roles["de"] == "caption", "\(roles)")

        // Our own .ismt read back through libavformat as a TTML stream: its fragments' documents are relative to
        // the fragment (sample) start, the second fragment's cue lies outside it as track times, and the reader
        // places it by the sample's pts; the cue cut at the 2 s boundary is joined again: the same cues.
        let ismt = p.directory.appendingPathComponent("three_text_en.ismt").path
        let info = SourceInfo(path: ismt, container: "mov", duration: 3, fileSize: 0, videoStreams: [], audioStreams: [],
                              otherStreams: [OtherStreamInfo(index: 0, type: "subtitle", codec: "ttml")])
        let back = try EmbeddedCaptions.read(path: ismt, info: info)
        #expect(back.notCarried.isEmpty, "\(back.notCarried)")
        let track = try #require(back.found.first?.track)
        #expect(back.found.first?.language.iso639_2 == "eng")
        #expect(track.cues.map(\.plainText) == ["Hello, world\nsecond line", "Bold & done"])
        #expect(track.cues.map { [$0.start, $0.end] } == en.map { [$0.start, $0.end] }, "\(track.cues)")
    }

    /// The DASH text AdaptationSets as language → Role value, read by Foundation's XMLParser (libxml2).
    static func dashRoles(_ mpd: URL) throws -> [String: String] {
        final class Roles: NSObject, XMLParserDelegate {
            var language: String?
            var roles: [String: String] = [:]
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "AdaptationSet" { language = attributes["contentType"] == "text" ? attributes["lang"] : nil }
                if name == "Role", let language, let value = attributes["value"] { roles[language, default: ""] += value }
            }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "AdaptationSet" { language = nil }
            }
        }
        let parser = XMLParser(data: try Data(contentsOf: mpd))
        let roles = Roles()
        parser.delegate = roles
        #expect(parser.parse(), "\(mpd.lastPathComponent) is not XML")
        return roles.roles
    }

    /// A PGS (`.sup`) stream of two display sets, shown at 1 s and cleared at 2 s: presentation composition
    /// segments and end segments only (libavformat copies the packets; nothing decodes them).
    static func pgs() -> [UInt8] {
        func be(_ v: UInt32, _ n: Int) -> [UInt8] { (0..<n).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        func segment(_ pts: UInt32, _ type: UInt8, _ payload: [UInt8]) -> [UInt8] {
            Array("PG".utf8) + be(pts, 4) + be(0, 4) + [type] + be(UInt32(payload.count), 2) + payload
        }
        func composition(_ number: UInt32, _ state: UInt8) -> [UInt8] {
            be(320, 2) + be(180, 2) + [0x10] + be(number, 2) + [state, 0, 0, 0]
        }
        return segment(90_000, 0x16, composition(0, 0x80)) + segment(90_000, 0x80, [])
            + segment(180_000, 0x16, composition(1, 0)) + segment(180_000, 0x80, [])
    }
}
