import Foundation
import SmoothManifest
import Publish
import SmoothPack
import TestSupport
import Testing

/// `--formats`: which manifests a presentation gets, and the version folder they are part of.
@Suite struct StreamingFormatOptionTests {
    @Test func formatListsParse() {
        #expect(StreamingFormat.parseList("smooth,dash,hls") == .success([.smooth, .dash, .hls]))
        #expect(StreamingFormat.parseList("hls, SMOOTH") == .success([.smooth, .hls]))
        #expect(StreamingFormat.parseList("smooth,webm") == .failure(.unknown("webm")))
        #expect(StreamingFormat.parseList("smooth,dash,dash") == .failure(.repeated("dash")))
        #expect(StreamingFormat.parseList("dash,hls") == .failure(.smoothMissing))
        #expect(StreamingFormat.parseList("smooth,") == .failure(.unknown("")))
    }

    @Test func smoothOnlyWritesNoDASHOrHLSAndGetsItsOwnVersion() async throws {
        let out = try TestPaths.temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = URL(fileURLWithPath: TestPaths.testMedia("tone-44100hz-audio-only.m4a"))
        let smooth = try await Packager(profile: .named("fast"), options: PackagerOptions(formats: [.smooth]))
            .encode(source: source, into: out)
        let all = try await Packager(profile: .named("fast")).encode(source: source, into: out)
        #expect(smooth.version != all.version)
        let onlySmooth = try FileManager.default.contentsOfDirectory(atPath: smooth.directory.path)
        #expect(!onlySmooth.contains { $0.hasSuffix(".mpd") || $0.hasSuffix(".m3u8") }, "\(onlySmooth)")
        let everything = try FileManager.default.contentsOfDirectory(atPath: all.directory.path)
        #expect(everything.contains("\(all.name).mpd") && everything.contains("\(all.name).m3u8"), "\(everything)")
        #expect(all.uploadManifest.objects.contains { $0.key.hasSuffix(".mpd") && $0.contentType == "application/dash+xml" })
        // the media files are the same bytes whichever manifests sit beside them
        for (a, b) in zip(smooth.renditions, all.renditions) {
            let x = try Data(contentsOf: smooth.directory.appendingPathComponent(a.file))
            let y = try Data(contentsOf: all.directory.appendingPathComponent(b.file))
            #expect(x == y, "\(a.file)")
        }
    }
}
