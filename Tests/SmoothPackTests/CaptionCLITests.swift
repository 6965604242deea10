import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SmoothManifest
import TestSupport
import Testing

/// The caption options of `smoothpack encode` through the built executable: `--captions FILE:lang`,
/// `--caption-language`, sidecar names with ISO 639-2 codes and `.forced` / `.sdh`, `--no-sidecar-captions`,
/// the `--json` caption fields, and a missing `--captions` file (one line, non-zero exit).
@Suite(.serialized) struct CaptionCLITests {
    struct Folder {
        var root: URL
        var source: URL
        var extra: URL
    }

    /// `src/clip.mp4` (3 s, 320x180, made by ffmpeg) with three sidecars, and `extra/dialogue.srt`.
    static func folder() throws -> Folder {
        let root = try TestPaths.temporaryDirectory("captions-cli")
        let src = root.appendingPathComponent("src"), extra = root.appendingPathComponent("extra")
        for d in [src, extra] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        let source = src.appendingPathComponent("clip.mp4")
        let r = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=3",
                                  "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", source.path])
        #expect(r.status == 0, "\(r.stderr)")
        let sidecars = [
            "clip.fre.forced.srt": "1\n00:00:00,500 --> 00:00:01,000\nPanneau\n",
            "clip.ger.sdh.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n[Musik]\n",
            "clip.srt": "1\n00:00:01,500 --> 00:00:02,500\nHola\n",
        ]
        for (name, text) in sidecars { try Data(text.utf8).write(to: src.appendingPathComponent(name)) }
        let dialogue = extra.appendingPathComponent("dialogue.srt")
        try Data("1\n00:00:00,250 --> 00:00:02,750\nDialogo\n".utf8).write(to: dialogue)
        return Folder(root: root, source: source, extra: dialogue)
    }

    static func encode(_ arguments: [String]) throws -> ProcessResult {
        try External.run([try TestPaths.smoothpackBinary, "encode", "--profile", "fast"] + arguments, timeout: 900)
    }

    /// The one presentation of a `--json` result.
    static func presentation(_ r: ProcessResult) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return try #require((json?["presentations"] as? [[String: Any]])?.first, "\(r.stdout)")
    }

    @Test func sidecarsExplicitFilesAndLanguages() throws {
        let f = try Self.folder()
        let out = f.root.appendingPathComponent("out1")
        let r = try Self.encode([f.source.path, "--out", out.path, "--captions", f.extra.path + ":it", "--caption-language", "es", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let p = try Self.presentation(r)
        #expect(p["status"] as? String == "created", "\(p)")
        let captions = (p["captions"] as? [[String: Any]]) ?? []
        // Explicit files first, then sidecars in name order; ISO 639-2/B names become BCP 47 tags.
        #expect(captions.compactMap { $0["trackName"] as? String }
            == ["textstream_it", "textstream_fr_forced", "textstream_de_sdh", "textstream_es"], "\(captions)")
        #expect(captions.compactMap { $0["language"] as? String } == ["it", "fr", "de", "es"])
        #expect(captions.compactMap { $0["role"] as? String } == ["subtitles", "forced", "sdh", "subtitles"])
        #expect(captions.compactMap { $0["file"] as? String }
            == ["clip_text_it.ismt", "clip_text_fr_forced.ismt", "clip_text_de_sdh.ismt", "clip_text_es.ismt"])
        #expect(captions.compactMap { $0["cues"] as? Int } == [1, 1, 1, 1])
        #expect(captions.compactMap { $0["input"] as? String }.map { URL(fileURLWithPath: $0).lastPathComponent }
            == ["dialogue.srt", "clip.fre.forced.srt", "clip.ger.sdh.vtt", "clip.srt"])
        #expect((p["captionsNotCarried"] as? [Any])?.isEmpty == true, "\(p)")

        // The roles in each manifest.
        let folder = out.appendingPathComponent(try #require(p["prefix"] as? String))
        let client = try ClientManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("clip.ismc"))))
        let text = client.streams.filter { $0.type == .text }
        #expect(text.map(\.language) == ["ita", "fra", "deu", "spa"])
        #expect(text.map(\.subtype) == ["SUBT", "SUBT", "CAPT", "SUBT"])
        let master = String(decoding: try Data(contentsOf: folder.appendingPathComponent("clip.m3u8")), as: UTF8.self)
        let media = master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-MEDIA:TYPE=SUBTITLES") }
        #expect(media.count == 4)
        #expect(media.contains { $0.contains("NAME=\"fr (forced)\",LANGUAGE=\"fr\",DEFAULT=YES,AUTOSELECT=YES,FORCED=YES,URI=") }, "\(media)")
        #expect(media.filter { $0.contains("FORCED=YES") }.count == 1 && media.filter { $0.contains("DEFAULT=YES") }.count == 1)
        #expect(media.contains { $0.contains("LANGUAGE=\"de\"") && $0.contains("public.accessibility.describes-music-and-sound") })
        let roles = try CaptionSourceTests.dashRoles(folder.appendingPathComponent("clip.mpd"))
        #expect(roles == ["it": "subtitle", "fr": "forced-subtitle", "de": "caption", "es": "subtitle"], "\(roles)")
    }

    @Test func noSidecarsAndAMissingFile() throws {
        let f = try Self.folder()
        // --no-sidecar-captions: only the named file, in the --caption-language.
        let out = f.root.appendingPathComponent("out2")
        let r = try Self.encode([f.source.path, "--out", out.path, "--no-sidecar-captions", "--captions", f.extra.path,
                                 "--caption-language", "pt-BR", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let captions = (try Self.presentation(r)["captions"] as? [[String: Any]]) ?? []
        #expect(captions.compactMap { $0["trackName"] as? String } == ["textstream_pt-BR"], "\(captions)")
        #expect(captions.compactMap { $0["language"] as? String } == ["pt-BR"])

        // A --captions file that does not exist: one line naming it, exit 1, nothing written.
        let missing = f.root.appendingPathComponent("nowhere.srt").path
        let out3 = f.root.appendingPathComponent("out3")
        let bad = try Self.encode([f.source.path, "--out", out3.path, "--captions", missing + ":en"])
        #expect(bad.status == 1, "exit \(bad.status)")
        let lines = bad.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1 && lines[0].contains(missing) && lines[0].contains("caption file not found"), "\(bad.stderr)")
        let made = (try? FileManager.default.contentsOfDirectory(atPath: out3.appendingPathComponent("clip").path)) ?? []
        #expect(made.isEmpty, "\(made)")
        // In --json the failure is the source's error field.
        let json = try Self.encode([f.source.path, "--out", out3.path, "--captions", missing, "--json"])
        #expect(json.status == 1)
        let failed = try Self.presentation(json)
        #expect(failed["status"] as? String == "failed" && (failed["error"] as? String)?.contains("caption file not found") == true)
    }
}
