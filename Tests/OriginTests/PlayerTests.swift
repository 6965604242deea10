import Foundation
import ISOBMFF
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// Real players against `smoothpack serve` on 127.0.0.1: GStreamer's `mssdemux` and yt-dlp (+ ffmpeg).
/// These FAIL — they never skip — when a player is missing: the test command installs Debian's
/// `gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
/// gstreamer1.0-libav` and `ffmpeg`, and PyPI's `yt-dlp`.
@Suite(.serialized) struct PlayerTests {
    /// mssdemux plays every presentation to the end once per video quality level (forced with
    /// `connection-speed` = bitrate/1000 + 1 kbps and `bitrate-limit=1.0`: mssdemux picks the highest level
    /// strictly below the connection speed), decoding video and audio to raw files whose frame and sample
    /// counts give the decoded duration; the access log proves which level was fetched.
    @Test func gstreamerPlaysEveryQualityLevelToTheEnd() async throws {
        let fx = try await Fixture.shared()
        let inspect = try await Tools.run(["gst-inspect-1.0", "mssdemux"], timeoutSeconds: 60)
        #expect(inspect.status == 0, "GStreamer's mssdemux (gstreamer1.0-plugins-bad) is missing: \(inspect.stderr)")
        guard inspect.status == 0 else { return }
        let log = InMemoryLogHandlerBox()
        let origin = try Harness.origin(fx.root, logger: log.logger)
        let work = try TestPaths.temporaryDirectory("origin-gst")
        defer { try? FileManager.default.removeItem(at: work) }
        let runs = try await Harness.withLiveServer(origin, logger: log.logger) { server in
            var runs = 0
            for p in fx.presentations {
                let levels = try Expected.levels(origin, Fixture.ismPath(p))
                let videos = levels.filter { $0.kind == .video }
                let audio = levels.first { $0.kind == .audio }
                let url = "\(server.base)/\(Fixture.ismPath(p))/Manifest"
                for forced in videos.isEmpty ? [audio].compactMap({ $0 }) : videos {
                    log.clear()
                    try await Self.playWithGStreamer(
                        url: url, forced: forced, audio: audio, hasVideo: !videos.isEmpty,
                        work: work, log: log, label: "\(p.name) @\(forced.bitrate)")
                    runs += 1
                }
            }
            return runs
        }
        #expect(
            runs
                == fx.presentations.reduce(0) { n, p in
                    n + max(1, p.renditions.filter { $0.kind == .video }.count)
                })
        print("OriginTests: GStreamer mssdemux played \(runs) presentation × level combinations to the end")
    }

    static func playWithGStreamer(
        url: String, forced: Expected.Level, audio: Expected.Level?, hasVideo: Bool, work: URL,
        log: InMemoryLogHandlerBox, label: String
    ) async throws {
        let videoFile = work.appendingPathComponent("video.yuv").path
        let audioFile = work.appendingPathComponent("audio.raw").path
        try? FileManager.default.removeItem(atPath: videoFile)
        try? FileManager.default.removeItem(atPath: audioFile)
        var arguments = [
            "gst-launch-1.0", "-m", "-v", "souphttpsrc", "location=\(url)", "!",
            "mssdemux", "name=d", "connection-speed=\(forced.bitrate / 1000 + 1)", "bitrate-limit=1.0",
        ]
        // The caps filters pin the decoded picture size (videoconvert cannot scale: any other size fails to
        // negotiate, an error on the bus) and the raw sample formats the byte counts below assume.
        if hasVideo {
            let (w, h) = (try #require(forced.width), try #require(forced.height))
            arguments += [
                "d.video_00", "!", "queue", "!", "decodebin", "!", "videoconvert", "!",
                "video/x-raw,format=I420,width=\(w),height=\(h)", "!", "filesink", "name=vsink",
                "location=\(videoFile)",
            ]
        }
        if audio != nil {
            arguments += [
                "d.audio_00", "!", "queue", "!", "decodebin", "!", "audioconvert", "!",
                "audio/x-raw,format=S16LE,layout=interleaved", "!", "filesink", "name=asink",
                "location=\(audioFile)",
            ]
        }
        let r = try await Tools.run(arguments, timeoutSeconds: 120)
        let output = r.stdout + r.stderr
        #expect(r.status == 0, "gst-launch \(label) exited \(r.status): \(output.suffix(2000))")
        #expect(output.contains("Got EOS from element \"pipeline0\""), "\(label) reached the end")
        #expect(
            !output.contains("ERROR:") && !output.contains("(error)"),
            "\(label): error on the bus: \(output.suffix(2000))")

        if hasVideo {
            let (w, h) = (try #require(forced.width), try #require(forced.height))
            // GStreamer's I420 rows are padded to 4 bytes (GST_ROUND_UP_4), planes are packed.
            let frameSize = (w + 3) / 4 * 4 * h + 2 * (((w + 1) / 2 + 3) / 4 * 4) * ((h + 1) / 2)
            let bytes = try Self.size(videoFile)
            #expect(bytes % frameSize == 0, "\(label): \(bytes) bytes of \(w)x\(h) I420")
            let frames = bytes / frameSize
            #expect(
                frames == forced.samples, "\(label): decoded \(frames) video frames, the file holds \(forced.samples)")
            // Decoded duration at the decoder's frame rate, when `-v` printed it on a line of its own (the two
            // streaming threads may interleave their output).
            if let caps = Self.caps(in: output, containing: "video/x-raw"), let (n, d) = caps.fraction("framerate"),
               n > 0 {
                let decoded = Double(frames) * Double(d) / Double(n)
                #expect(
                    abs(decoded - forced.duration) <= Double(d) / Double(n) + 0.001,
                    "\(label): decoded video lasts \(decoded) s, the manifest says \(forced.duration) s")
            }
            let requested = Self.requestedLevels(log, stream: "video")
            #expect(requested == [forced.bitrate], "\(label): video fetched at \(requested)")
            #expect(
                Self.requestedTimes(log, stream: "video").count == forced.fragments,
                "\(label): every video fragment fetched")
        }
        if let audio {
            // audioconvert keeps the decoder's rate and channel layout, which must be the manifest's.
            let (rate, channels) = (try #require(audio.samplingRate), try #require(audio.channels))
            if let caps = Self.caps(in: output, containing: "audio/x-raw", and: "S16LE") {
                #expect(
                    caps.int("rate") ?? rate == rate && caps.int("channels") ?? channels == channels,
                    "\(label): decoded audio \(caps.text)")
            }
            let samples = try Self.size(audioFile) / (2 * channels)
            let decoded = Double(samples) / Double(rate)
            #expect(
                abs(decoded - audio.duration) <= 2048 / Double(rate),
                "\(label): decoded audio lasts \(decoded) s, the manifest says \(audio.duration) s")
            #expect(
                Self.requestedTimes(log, stream: "audio").count == audio.fragments,
                "\(label): every audio fragment fetched")
        }
    }

    /// yt-dlp lists every quality level of every Manifest, downloads each (its ISM downloader rebuilds a PIFF
    /// file from the fragments), and ffmpeg decodes every download completely: no error, the frame count the
    /// media file holds, the level's size.
    @Test func ytDlpDownloadsEveryLevelAndFFmpegDecodesIt() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let work = try TestPaths.temporaryDirectory("origin-ytdlp")
        defer { try? FileManager.default.removeItem(at: work) }
        let downloads = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            var downloads = 0
            for p in fx.presentations {
                let levels = try Expected.levels(origin, Fixture.ismPath(p))
                let folder = work.appendingPathComponent(p.name)
                let url = "\(server.base)/\(Fixture.ismPath(p))/Manifest"
                let r = try await Tools.run(
                    Tools.ytDlp + [
                        "--no-simulate", "--dump-single-json", "--format", "all", "--no-progress",
                        "--no-cache-dir", "--no-playlist", "--output",
                        "\(folder.path)/%(format_id)s.%(ext)s", url,
                    ], timeoutSeconds: 240)
                #expect(r.status == 0, "yt-dlp \(p.name): \(r.stderr.suffix(2000))")
                let info = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
                let formats = try #require(info["formats"] as? [[String: Any]])
                #expect(
                    formats.count == levels.count,
                    "\(p.name): yt-dlp lists \(formats.count) formats for \(levels.count) levels")
                let files = (info["requested_downloads"] as? [[String: Any]] ?? []).compactMap {
                    $0["filepath"] as? String
                }
                #expect(files.count == levels.count, "\(p.name): \(files.count) downloads")
                for level in levels {
                    let format = formats.first { f in
                        (f["tbr"] as? Double).map { abs($0 - Double(level.bitrate) / 1000) < 0.5 } == true
                            && ((f["vcodec"] as? String ?? "none") != "none") == (level.kind == .video)
                    }
                    let f = try #require(format, "\(p.name): no yt-dlp format for \(level.kind) \(level.bitrate)")
                    if level.kind == .video {
                        #expect(f["width"] as? Int == level.width && f["height"] as? Int == level.height)
                    } else {
                        #expect(f["asr"] as? Int == level.samplingRate)
                    }
                    let id = try #require(f["format_id"] as? String)
                    let file = try #require(
                        files.first { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent == id },
                        "\(p.name): \(id) was not downloaded")
                    try await Self.decodeWithFFmpeg(file, level: level, label: "\(p.name) \(id)")
                    downloads += 1
                }
            }
            return downloads
        }
        print("OriginTests: yt-dlp downloaded \(downloads) quality levels; ffmpeg decoded each completely")
    }

    static func decodeWithFFmpeg(_ file: String, level: Expected.Level, label: String) async throws {
        let null = try await Tools.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", file, "-f", "null", "-"], timeoutSeconds: 120)
        #expect(null.status == 0 && null.stderr.isEmpty, "ffmpeg -f null \(label): \(null.stderr.suffix(1000))")
        let crc = try await Tools.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", file, "-map", "0", "-f", "framecrc", "-"],
            timeoutSeconds: 120)
        #expect(crc.status == 0 && crc.stderr.isEmpty, "ffmpeg framecrc \(label): \(crc.stderr.suffix(1000))")
        let frames = crc.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        #expect(frames.allSatisfy { $0.first == "0" }, "\(label): one stream")
        #expect(
            frames.count == level.samples,
            "\(label): ffmpeg decoded \(frames.count) frames, the file holds \(level.samples)")
        if level.kind == .video, let w = level.width, let h = level.height {
            let size = String(w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2))
            #expect(frames.allSatisfy { $0.count > 4 && $0[4] == size }, "\(label): every frame \(w)x\(h) yuv420p")
        }
    }

    // MARK: Output parsing

    struct Caps {
        let text: String
        func int(_ name: String) -> Int? {
            guard let r = text.range(of: "\(name)=(int)") else { return nil }
            return Int(text[r.upperBound...].prefix { $0.isNumber })
        }
        func fraction(_ name: String) -> (Int, Int)? {
            guard let r = text.range(of: "\(name)=(fraction)") else { return nil }
            let parts = text[r.upperBound...].prefix { $0.isNumber || $0 == "/" }.split(separator: "/")
            guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]) else { return nil }
            return (n, d)
        }
    }

    /// The last caps line `gst-launch -v` printed that contains `text` right after `caps = `.
    static func caps(in output: String, containing text: String, and other: String = "") -> Caps? {
        output.split(separator: "\n").last { $0.contains(": caps = \(text)") && $0.contains(other) }
            .map { Caps(text: String($0)) }
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Access-log lines `GET …/QualityLevels(B)/Fragments(stream=T) 200 …` of this run.
    static func fragmentRequests(_ log: InMemoryLogHandlerBox, stream: String) -> [(bitrate: Int, time: Int64)] {
        log.messages.compactMap { line in
            guard line.hasPrefix("GET "), line.contains(" 200 "),
                let q = line.range(of: "/QualityLevels("), let f = line.range(of: ")/Fragments(\(stream)=")
            else { return nil }
            let bitrate = Int(line[q.upperBound..<f.lowerBound])
            let time = Int64(line[f.upperBound...].prefix { $0.isNumber })
            guard let bitrate, let time else { return nil }
            return (bitrate, time)
        }
    }

    static func requestedLevels(_ log: InMemoryLogHandlerBox, stream: String) -> Set<Int> {
        Set(fragmentRequests(log, stream: stream).map(\.bitrate))
    }

    static func requestedTimes(_ log: InMemoryLogHandlerBox, stream: String) -> Set<Int64> {
        Set(fragmentRequests(log, stream: stream).map(\.time))
    }
}

/// What a player must get from a presentation, read through the origin itself: per quality level, the
/// number of samples (video frames, AAC frames) in its fragments and the stream's duration.
enum Expected {
    struct Level: Sendable {
        var kind: MediaKind
        var bitrate: Int
        var width: Int?
        var height: Int?
        var samplingRate: Int?
        var channels: Int?
        /// Samples in all fragments of this level (trun sample counts).
        var samples: Int
        var fragments: Int
        /// Seconds: end of the stream's last fragment.
        var duration: Double
    }

    static func levels(_ origin: SmoothOrigin, _ ism: String) throws -> [Level] {
        let manifest = try origin.clientManifest(presentation: ism)
        var out: [Level] = []
        for stream in manifest.streams {
            let scale = Double(stream.timeScale ?? manifest.timeScale)
            for q in stream.qualityLevels {
                var samples = 0
                for chunk in stream.chunks {
                    let request = FragmentRequest(bitrate: q.bitrate, streamName: stream.name, time: chunk.time)
                    let body = try origin.fragmentBytes(presentation: ism, request: request)
                    let size = Int(body[0]) << 24 | Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3])
                    let moof = try MoofBox.decode(Array(body[0..<size]))
                    samples += moof.trafs.flatMap(\.truns).reduce(0) { $0 + $1.samples.count }
                }
                out.append(
                    Level(
                        kind: stream.type, bitrate: q.bitrate, width: q.maxWidth, height: q.maxHeight,
                        samplingRate: q.samplingRate, channels: q.channels, samples: samples,
                        fragments: stream.chunks.count,
                        duration: Double(stream.end) / scale))
            }
        }
        return out
    }
}
