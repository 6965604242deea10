import Captions
import Foundation
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// Independent players on a presentation with a caption track, over HTTP from `smoothpack serve`. Like
/// ``PlayerTests`` these fail, never skip, when a player is missing.
@Suite(.serialized) struct CaptionPlayerTests {
    static let srt = """
        1
        00:00:00,500 --> 00:00:01,250
        Tom & <i>Jerry</i>

        2
        00:00:01,500 --> 00:00:02,500
        Across the fragment boundary
        on two lines

        """

    /// A 3 s 320x180 clip with a tone and `clip.en.srt` beside it, encoded with the fast profile.
    static func presentation() async throws -> (Presentation, URL) {
        let root = try TestPaths.temporaryDirectory("origin-caption-players")
        let inbox = root.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let source = inbox.appendingPathComponent("clip.mp4")
        let r = try External.run([
            "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=3",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3", "-c:v", "libx264", "-preset", "veryfast",
            "-pix_fmt", "yuv420p", "-g", "50", "-c:a", "aac", "-b:a", "64k", source.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        try Data(srt.utf8).write(to: inbox.appendingPathComponent("clip.en.srt"))
        let out = root.appendingPathComponent("out")
        let p = try await Packager(profile: .named("fast")).encode(source: source, into: out)
        #expect(p.captions.map(\.trackName) == ["textstream_en"])
        return (p, out)
    }

    /// GStreamer 1.22's mssdemux ignores text streams: with one in the Manifest it still plays video and audio to
    /// EOS without a bus error, fetching every video fragment and no text fragment. ffmpeg's HLS demuxer reads
    /// the WebVTT subtitle playlist; its cues, written back as SRT, equal the input's within 1 ms.
    @Test func mssdemuxPlaysAndFFmpegReadsTheHLSSubtitles() async throws {
        let inspect = try await Tools.run(["gst-inspect-1.0", "mssdemux"], timeoutSeconds: 60)
        #expect(inspect.status == 0, "GStreamer's mssdemux (gstreamer1.0-plugins-bad) is missing: \(inspect.stderr)")
        guard inspect.status == 0 else { return }
        let (p, out) = try await Self.presentation()
        let client = try ClientManifest(xml: Array(try Data(contentsOf: p.directory.appendingPathComponent("clip.ismc"))))
        let video = try #require(client.streams.first { $0.type == .video })
        #expect(client.streams.contains { $0.type == .text }, "the Manifest has the text stream")
        let log = InMemoryLogHandlerBox()
        let origin = try Harness.origin(out, logger: log.logger)
        let work = try TestPaths.temporaryDirectory("origin-caption-players-work")
        defer { try? FileManager.default.removeItem(at: work) }
        try await Harness.withLiveServer(origin, logger: log.logger) { server in
            // mssdemux: the highest video level, and audio, to fakesinks.
            let manifest = "\(server.base)/\(p.prefix)clip.ism/Manifest"
            let top = try #require(video.qualityLevels.map(\.bitrate).max())
            let gst = try await Tools.run([
                "gst-launch-1.0", "-m", "souphttpsrc", "location=\(manifest)", "!", "mssdemux", "name=d",
                "connection-speed=\(top / 1000 + 1)", "bitrate-limit=1.0",
                "d.video_00", "!", "queue", "!", "decodebin", "!", "fakesink",
                "d.audio_00", "!", "queue", "!", "decodebin", "!", "fakesink",
            ], timeoutSeconds: 120)
            let output = gst.stdout + gst.stderr
            #expect(gst.status == 0, "gst-launch exited \(gst.status): \(output.suffix(2000))")
            #expect(output.contains("Got EOS from element \"pipeline0\""), "mssdemux reached the end")
            #expect(!output.contains("ERROR:") && !output.contains("(error)"), "error on the bus: \(output.suffix(2000))")
            #expect(PlayerTests.requestedTimes(log, stream: "video").count == video.chunks.count, "every video fragment fetched")
            #expect(PlayerTests.fragmentRequests(log, stream: "textstream_en").isEmpty, "mssdemux fetched text fragments")

            // ffmpeg: the subtitle media playlist (5.1's HLS demuxer opens no SUBTITLES rendition of a
            // multivariant playlist), its segments read as one WebVTT stream, converted to SRT.
            let playlist = "\(server.base)/\(p.prefix)clip_text_en.m3u8"
            let ff = try await Tools.run([
                "ffmpeg", "-nostdin", "-v", "error", "-allowed_segment_extensions", "ALL", "-i", playlist,
                "-map", "0:s:0", "-c:s", "srt", "-f", "srt", "-",
            ], timeoutSeconds: 120)
            #expect(ff.status == 0 && ff.stderr.isEmpty, "ffmpeg \(playlist): \(ff.stderr.suffix(1500))")
            let read = try CaptionFile.parse(Array(ff.stdout.utf8), format: .srt, file: "ffmpeg").cues
            var got: [Cue] = []
            for c in read where !got.contains(c) { got.append(c) }  // a cue repeated in each segment it spans
            let want = try CaptionFile.parse(Array(Self.srt.utf8), format: .srt, file: "in").cues
            #expect(got.map(\.plainText) == want.map(\.plainText), "\(ff.stdout)")
            #expect(got.count == want.count
                && zip(got, want).allSatisfy { abs($0.start - $1.start) <= 10_000 && abs($0.end - $1.end) <= 10_000 },
                "\(ff.stdout)")
        }
    }
}
