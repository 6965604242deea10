import Captions
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ISOBMFF
import Publish
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

/// Captions from a sidecar to every output: the `.ismt` text track, the `.ismc`/`.ism` entries, the TTML
/// documents (parsed by an independent XML parser and by ours, times shifted back to absolute), ffprobe on the
/// `.ismt`, the HLS WebVTT segments and the DASH sidecar; the version follows the caption file.
@Suite(.serialized) struct CaptionEndToEndTests {
    static let srt = """
        1
        00:00:00,500 --> 00:00:01,250
        Tom & <i>Jerry</i> say "<hi>"

        2
        00:00:01,900 --> 00:00:02,700
        Across a fragment boundary
        on two lines

        3
        00:00:05,000 --> 00:00:09,000
        Runs past the end
        """

    /// Every cue `(start, end, text)` of the input, after clamping to `end` (the encoded duration).
    static func expected(until end: Int64) throws -> [(Int64, Int64, String)] {
        try CaptionFile.parse(Array(srt.utf8), format: .srt, file: "x").clamped(to: end, file: "x").cues
            .map { ($0.start, $0.end, $0.plainText) }
    }

    func encode(_ srt: String, name: String = "clip.en.srt", in folder: URL? = nil,
                options: PackagerOptions = .init()) async throws -> (Presentation, URL) {
        let dir = try folder ?? TestPaths.temporaryDirectory("captions")
        let source = dir.appendingPathComponent("clip.mp4")
        if !FileManager.default.fileExists(atPath: source.path) {
            try FileManager.default.copyItem(atPath: TestPaths.testMedia("bars-25fps-stereo.mp4"), toPath: source.path)
        }
        try Data(srt.utf8).write(to: dir.appendingPathComponent(name))
        let out = dir.appendingPathComponent("out")
        let p = try await Packager(profile: .named("fast"), options: options).encode(source: source, into: out)
        return (p, dir)
    }

    @Test func sidecarSRTReachesSmoothHLSAndDASH() async throws {
        let (p, _) = try await encode(Self.srt)
        let folder = p.directory
        // Report: the caption, its language and the clamp warning.
        #expect(p.captions.count == 1)
        let caption = try #require(p.captions.first)
        #expect(caption.language == "en" && caption.role == .subtitles && caption.file == "clip_text_en.ismt")
        #expect(caption.warnings.contains { $0.contains("clamped") })
        #expect(p.renditions.contains { $0.kind == .text && $0.file == "clip_text_en.ismt" })

        // .ismc and .ism describe the text track.
        let client = try ClientManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("clip.ismc"))))
        let server = try ServerManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("clip.ism"))))
        let text = try #require(client.streams.first { $0.type == .text })
        let video = try #require(client.streams.first { $0.type == .video })
        #expect(text.subtype == "SUBT" && text.language == "eng" && text.name == "textstream_en")
        #expect(text.qualityLevels.map(\.fourCC) == ["TTML"])
        #expect(text.chunks == video.chunks, "text fragments lie on the video grid")
        let entry = try #require(server.tracks.first { $0.kind == .text })
        #expect(entry.src == "clip_text_en.ismt" && entry.name == "textstream_en" && entry.systemLanguage == "eng")
        let ismText = String(decoding: try Data(contentsOf: folder.appendingPathComponent("clip.ism")), as: UTF8.self)
        #expect(ismText.contains("<textstream src=\"clip_text_en.ismt\""))
        #expect(server.track(bitrate: entry.systemBitrate, name: "textstream_en") != nil)

        // Each fragment: tfxd and tfdt equal its c; the TTML parses as XML; cues shifted back match the input.
        let file = try FileSource(path: folder.appendingPathComponent("clip_text_en.ismt").path)
        let index = try RandomAccessIndex.load(from: file)
        let table = try #require(index.table(trackID: UInt32(entry.trackID)))
        #expect(table.entries.map { Int64($0.time) } == text.chunks.map(\.time))
        var absolute: [Cue] = []
        for (entry, chunk) in zip(table.entries, text.chunks) {
            let range = try file.fragmentRange(moofOffset: Int64(entry.moofOffset))
            let bytes = try file.read(at: range.lowerBound, count: Int(range.count))
            let moofSize = Int(bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let moof = try MoofBox.decode(Array(bytes.prefix(moofSize)))
            let traf = try #require(moof.trafs.first)
            #expect(traf.tfxd.map { Int64($0.time) } == chunk.time)
            #expect(traf.tfxd.map { Int64($0.duration) } == chunk.duration)
            #expect(traf.tfdt.map { Int64($0.baseMediaDecodeTime) } == chunk.time)
            let document = Array(bytes[(moofSize + 8)...])
            #expect(Self.isWellFormedXML(document), "fragment at \(chunk.time) is not XML")
            let cues = try CaptionFile.parse(document, format: .ttml, file: "fragment \(chunk.time)").cues
            for c in cues {
                #expect(c.end <= chunk.duration, "a cue runs past its fragment")
                absolute.append(Cue(start: c.start + chunk.time, end: c.end + chunk.time, lines: c.lines))
            }
        }
        let merged = Self.mergeCut(absolute)
        let want = try Self.expected(until: video.end)
        #expect(merged.count == want.count)
        for (got, w) in zip(merged, want) {
            #expect(abs(got.start - w.0) <= 10_000 && abs(got.end - w.1) <= 10_000, "\(got) vs \(w)")
            #expect(got.plainText == w.2)
        }

        // ffprobe reads the .ismt: an stpp track in eng, one packet per fragment at the fragment times, and the
        // same stream type it reports for FFmpeg's own TTML-in-MP4 output (5.1 reports both as "data").
        let ismt = folder.appendingPathComponent("clip_text_en.ismt").path
        let probe = try External.ffprobeJSON(["-show_streams", "-show_packets", ismt])
        let stream = try #require((probe["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec_tag_string"] as? String == "stpp")
        #expect((stream["tags"] as? [String: Any])?["language"] as? String == "eng")
        let packets = (probe["packets"] as? [[String: Any]]) ?? []
        #expect(packets.compactMap { ($0["pts"] as? Int).map(Int64.init) } == text.chunks.map(\.time))
        let dir = try TestPaths.temporaryDirectory("ffmpeg-ttml")
        try Data("1\n00:00:01,000 --> 00:00:02,000\nx\n".utf8).write(to: dir.appendingPathComponent("x.srt"))
        let made = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", dir.appendingPathComponent("x.srt").path,
                                     "-c:s", "ttml", "-f", "mp4", dir.appendingPathComponent("x.mp4").path])
        #expect(made.status == 0, "\(made.stderr)")
        let reference = try External.ffprobeJSON(["-show_streams", dir.appendingPathComponent("x.mp4").path])
        let referenceStream = try #require((reference["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec_type"] as? String == referenceStream["codec_type"] as? String)
        #expect(referenceStream["codec_tag_string"] as? String == "stpp")

        // HLS: a SUBTITLES rendition; every segment is a WebVTT document whose cues match the input.
        let master = String(decoding: try Data(contentsOf: folder.appendingPathComponent("clip.m3u8")), as: UTF8.self)
        #expect(master.contains("#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"en\",LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI=\"clip_text_en.m3u8\""))
        #expect(master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF:") }.allSatisfy { $0.hasSuffix(",SUBTITLES=\"subs\"") })
        let playlist = String(decoding: try Data(contentsOf: folder.appendingPathComponent("clip_text_en.m3u8")), as: UTF8.self)
        let vtt = [UInt8](try Data(contentsOf: folder.appendingPathComponent("clip_text_en.hls.vtt")))
        var hlsCues: [Cue] = []
        let ranges = playlist.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-BYTERANGE:") }
        #expect(ranges.count == text.chunks.count)
        for line in ranges {
            let parts = line.dropFirst("#EXT-X-BYTERANGE:".count).split(separator: "@").compactMap { Int($0) }
            let segment = Array(vtt[parts[1]..<(parts[1] + parts[0])])
            let parsed = try CaptionFile.parse(segment, format: .webvtt, file: "segment")
            for c in parsed.cues where !hlsCues.contains(c) { hlsCues.append(c) }
        }
        #expect(hlsCues.map(\.plainText) == want.map(\.2))
        #expect(zip(hlsCues, want).allSatisfy { abs($0.start - $1.0) <= 10_000 && abs($0.end - $1.1) <= 10_000 })

        // DASH: a text/vtt AdaptationSet naming the sidecar, which holds every cue.
        let mpd = String(decoding: try Data(contentsOf: folder.appendingPathComponent("clip.mpd")), as: UTF8.self)
        #expect(mpd.contains("contentType=\"text\" mimeType=\"text/vtt\" lang=\"en\""))
        #expect(mpd.contains("<BaseURL>clip_text_en.vtt</BaseURL>"))
        let sidecar = try CaptionFile.parse([UInt8](try Data(contentsOf: folder.appendingPathComponent("clip_text_en.vtt"))),
                                            format: .webvtt, file: "sidecar")
        #expect(sidecar.cues.map(\.plainText) == want.map(\.2))
        #expect(Self.isWellFormedXML(Array(mpd.utf8)))

        // The upload manifest lists the text files.
        let keys = p.uploadManifest.objects.map(\.key)
        for name in ["clip_text_en.ismt", "clip_text_en.vtt", "clip_text_en.hls.vtt", "clip_text_en.m3u8"] {
            #expect(keys.contains(p.prefix + name), "\(name) is not in the upload manifest")
        }
    }

    @Test func aChangedCaptionMakesANewVersionAndARefusedOneFailsTheSource() async throws {
        let (first, dir) = try await encode(Self.srt)
        let (again, _) = try await encode(Self.srt, in: dir)
        #expect(again.version == first.version && again.status == .upToDate)
        let (changed, _) = try await encode(Self.srt.replacingOccurrences(of: "Runs", with: "Walks"), in: dir)
        #expect(changed.version != first.version && changed.status == .created)

        // A broken file fails the source with file:line: reason, and nothing is published for it.
        let bad = try TestPaths.temporaryDirectory("captions-bad")
        do {
            _ = try await encode("1\n00:00:01,000 --> 00:00:0x,000\nbroken\n", in: bad)
            Issue.record("a broken caption file did not fail the source")
        } catch {
            #expect("\(error)".contains("clip.en.srt:2: bad time stamp"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: bad.appendingPathComponent("out/clip").path))
        // With --captions-optional the source is made without it.
        var options = PackagerOptions()
        options.captions.optional = true
        let (made, _) = try await encode("1\n00:00:01,000 --> 00:00:0x,000\nbroken\n", in: bad, options: options)
        #expect(made.captions.isEmpty && !made.renditions.contains { $0.kind == .text })
    }

    /// The cues of a presentation's text stream `name`, read back from its `.ismt` and shifted to absolute time.
    static func cues(of p: Presentation, stream name: String) throws -> [Cue] {
        let folder = p.directory
        let client = try ClientManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("\(p.name).ismc"))))
        let server = try ServerManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("\(p.name).ism"))))
        let entry = try #require(server.tracks.first { $0.name == name })
        let stream = try #require(client.streams.first { $0.name == name })
        let file = try FileSource(path: folder.appendingPathComponent(entry.src).path)
        let table = try #require(try RandomAccessIndex.load(from: file).table(trackID: UInt32(entry.trackID)))
        var absolute: [Cue] = []
        for (e, chunk) in zip(table.entries, stream.chunks) {
            let range = try file.fragmentRange(moofOffset: Int64(e.moofOffset))
            let bytes = try file.read(at: range.lowerBound, count: Int(range.count))
            let moofSize = Int(bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            for c in try CaptionFile.parse(Array(bytes[(moofSize + 8)...]), format: .ttml, file: "f").cues {
                absolute.append(Cue(start: c.start + chunk.time, end: c.end + chunk.time, lines: c.lines))
            }
        }
        return mergeCut(absolute)
    }

    /// An MKV with English and (forced) French SRT streams and an MP4 with an English mov_text stream, made by
    /// the ffmpeg CLI: both text streams come through with their languages and roles, cues within 1 ms.
    @Test func subtitleStreamsInsideTheSource() async throws {
        let dir = try TestPaths.temporaryDirectory("captions-embedded")
        let en = "1\n00:00:00,500 --> 00:00:01,500\nHello <i>there</i>\n\n2\n00:00:02,250 --> 00:00:03,000\nSecond & last\n"
        let fr = "1\n00:00:01,000 --> 00:00:02,000\nBonjour\n"
        try Data(en.utf8).write(to: dir.appendingPathComponent("en.srt"))
        try Data(fr.utf8).write(to: dir.appendingPathComponent("fr.srt"))
        let video = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=4"]
        let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", "-b:v", "150k"]
        let mkv = dir.appendingPathComponent("two.mkv").path, mp4 = dir.appendingPathComponent("movtext.mp4").path
        var r = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + video
            + ["-i", dir.appendingPathComponent("en.srt").path, "-i", dir.appendingPathComponent("fr.srt").path,
               "-map", "0", "-map", "1", "-map", "2"] + x264
            + ["-c:s", "srt", "-metadata:s:s:0", "language=eng", "-metadata:s:s:1", "language=fre",
               "-disposition:s:1", "forced", mkv])
        #expect(r.status == 0, "\(r.stderr)")
        r = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + video
            + ["-i", dir.appendingPathComponent("en.srt").path, "-map", "0", "-map", "1"] + x264
            + ["-c:s", "mov_text", "-metadata:s:s:0", "language=eng", mp4])
        #expect(r.status == 0, "\(r.stderr)")
        var options = PackagerOptions()
        options.captions.sidecars = false
        let packager = try Packager(profile: .named("fast"), options: options)
        let out = dir.appendingPathComponent("out")

        let two = try await packager.encode(source: URL(fileURLWithPath: mkv), into: out)
        #expect(two.captions.map(\.trackName) == ["textstream_en", "textstream_fr_forced"])
        #expect(two.captions.map(\.role) == [.subtitles, .forced])
        let client = try ClientManifest(xml: Array(try Data(contentsOf: two.directory.appendingPathComponent("two.ismc"))))
        #expect(client.streams.filter { $0.type == .text }.map(\.language) == ["eng", "fra"])
        let want = try CaptionFile.parse(Array(en.utf8), format: .srt, file: "en").cues
        let got = try Self.cues(of: two, stream: "textstream_en")
        #expect(got.map(\.plainText) == want.map(\.plainText))
        #expect(zip(got, want).allSatisfy { abs($0.start - $1.start) <= 10_000 && abs($0.end - $1.end) <= 10_000 }, "\(got)")
        #expect(try Self.cues(of: two, stream: "textstream_fr_forced").map(\.plainText) == ["Bonjour"])
        let master = String(decoding: try Data(contentsOf: two.directory.appendingPathComponent("two.m3u8")), as: UTF8.self)
        #expect(master.contains("NAME=\"fr (forced)\",LANGUAGE=\"fr\",DEFAULT=YES,AUTOSELECT=YES,FORCED=YES"))

        let movText = try await packager.encode(source: URL(fileURLWithPath: mp4), into: out)
        #expect(movText.captions.map(\.trackName) == ["textstream_en"])
        let mov = try Self.cues(of: movText, stream: "textstream_en")
        #expect(mov.map(\.plainText) == ["Hello there", "Second & last"])
        #expect(zip(mov, want).allSatisfy { abs($0.start - $1.start) <= 10_000 && abs($0.end - $1.end) <= 10_000 }, "\(mov)")
    }

    /// Cues cut at fragment boundaries joined again: a piece that starts where an identical piece ends.
    static func mergeCut(_ cues: [Cue]) -> [Cue] {
        var out: [Cue] = []
        for c in cues {
            if let k = out.lastIndex(where: { $0.end == c.start && $0.lines == c.lines }) {
                out[k].end = c.end
            } else {
                out.append(c)
            }
        }
        return out.sorted { $0.start < $1.start }
    }

    /// Parsed by Foundation's XMLParser (libxml2), not by our reader.
    static func isWellFormedXML(_ bytes: [UInt8]) -> Bool {
        XMLParser(data: Data(bytes)).parse()
    }
}
