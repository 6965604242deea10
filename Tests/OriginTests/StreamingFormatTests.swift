import Foundation
import ISOBMFF
import SmoothManifest
import Publish
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// The DASH MPD and HLS playlists of every `testmedia/` presentation: structure and byte ranges read
/// back against the media files, and real players over HTTP from the origin (GStreamer's dashdemux
/// and hlsdemux, ffmpeg). Like ``PlayerTests`` these fail, never skip, when a player is missing.
@Suite(.serialized) struct StreamingFormatTests {
    /// One media file as the manifests list it, with the samples its moofs hold.
    struct Listed {
        var listing: SegmentListing
        var samples: Int
    }

    static func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    /// Checks every range of `listing` against the file: init = [0, first moof), each segment one moof
    /// followed by exactly one mdat; returns the number of samples in the segments' truns.
    static func checkRanges(_ listing: SegmentListing, folder: URL, label: String) throws -> Int {
        let bytes = try read(folder.appendingPathComponent(listing.file))
        func box(at offset: Int64) -> (size: Int64, type: String)? {
            guard offset >= 0, offset + 8 <= Int64(bytes.count) else { return nil }
            let o = Int(offset)
            let size = Int64(bytes[o]) << 24 | Int64(bytes[o + 1]) << 16 | Int64(bytes[o + 2]) << 8 | Int64(bytes[o + 3])
            return (size, String(decoding: bytes[(o + 4)..<(o + 8)], as: UTF8.self))
        }
        #expect(listing.initialization.lowerBound == 0, "\(label): init starts at 0")
        #expect(box(at: 0)?.type == "ftyp", "\(label): file starts with ftyp")
        var end = listing.initialization.upperBound
        var samples = 0
        for (i, s) in listing.segments.enumerated() {
            #expect(s.range.lowerBound == end, "\(label): segment \(i) follows the previous range")
            end = s.range.upperBound
            guard let moof = box(at: s.range.lowerBound), moof.type == "moof",
                  let mdat = box(at: s.range.lowerBound + moof.size), mdat.type == "mdat"
            else {
                Issue.record("\(label): segment \(i) at \(s.range.lowerBound) is not moof+mdat")
                continue
            }
            #expect(s.range.lowerBound + moof.size + mdat.size == s.range.upperBound, "\(label): segment \(i) ends at its mdat's end")
            let m = try MoofBox.decode(Array(bytes[Int(s.range.lowerBound)..<Int(s.range.lowerBound + moof.size)]))
            samples += m.trafs.flatMap(\.truns).reduce(0) { $0 + $1.samples.count }
            #expect(m.trafs.first?.tfdt?.baseMediaDecodeTime == UInt64(s.time), "\(label): tfdt of segment \(i) is its time")
            #expect(m.trafs.first?.tfxd?.time == UInt64(s.time), "\(label): tfxd of segment \(i) is its time")
        }
        #expect(end <= Int64(bytes.count), "\(label): ranges inside the file")
        if let next = box(at: end) { #expect(next.type == "mfra", "\(label): the mfra follows the last segment") }
        return samples
    }

    /// Every presentation: MPD and playlists parse, list every fragment of every file at the Smooth
    /// times, with ranges that are exactly the file's init and moof+mdat pairs; EXTINF sums are the
    /// durations; the upload manifest lists them with their content types.
    @Test func manifestsListTheSameFragmentsAsSmooth() async throws {
        let fx = try await Fixture.shared()
        for p in fx.presentations {
            let folder = p.directory
            let client = try ClientManifest(xml: try Self.read(folder.appendingPathComponent("\(p.name).ismc")))
            let (duration, reps) = try SegmentListing.mpd(try Self.read(folder.appendingPathComponent("\(p.name).mpd")))
            #expect(duration == client.duration, "\(p.name): mediaPresentationDuration is the Smooth Duration")
            #expect(reps.count == p.renditions.count, "\(p.name): one Representation per file")
            let master = String(decoding: try Self.read(folder.appendingPathComponent("\(p.name).m3u8")), as: UTF8.self)
            for r in p.renditions {
                let label = "\(p.name)/\(r.file)"
                let rep = try #require(reps.first { $0.file == r.file }, "\(label): no Representation")
                let stream = try #require(client.streams.first { $0.name == r.trackName }, "\(label): no StreamIndex")
                #expect(rep.segments.map(\.time) == stream.chunks.map(\.time), "\(label): MPD times are the c times")
                let samples = try Self.checkRanges(rep, folder: folder, label: label + " (mpd)")
                #expect(samples > 0)
                let name = HLSPlaylistBuilder.mediaPlaylistName(for: r.file)
                #expect(master.contains(name), "\(label): the multivariant playlist names \(name)")
                let text = String(decoding: try Self.read(folder.appendingPathComponent(name)), as: UTF8.self)
                let hls = try SegmentListing.mediaPlaylist(text, id: name)
                #expect(hls.segments.map(\.time) == stream.chunks.map(\.time), "\(label): playlist times are the c times")
                #expect(hls.segments.map(\.range) == rep.segments.map(\.range), "\(label): same ranges in MPD and playlist")
                #expect(hls.initialization == rep.initialization)
                #expect(hls.segments.reduce(0) { $0 + $1.duration } == stream.end, "\(label): EXTINF sum = duration")
                _ = try Self.checkRanges(hls, folder: folder, label: label + " (m3u8)")
            }
            let types = Dictionary(p.uploadManifest.objects.map { ($0.key, $0.contentType) }) { a, _ in a }
            #expect(types[p.prefix + "\(p.name).mpd"] == "application/dash+xml")
            #expect(types[p.prefix + "\(p.name).m3u8"] == "application/vnd.apple.mpegurl")
        }
    }

    /// For every presentation and every file: GStreamer plays the HLS media playlist of that file (one
    /// forced rung) with hlsdemux, and the MPD with dashdemux held to that rung by connection speed
    /// (after its first segment, which dashdemux always takes from the lowest representation),
    /// to EOS without a bus error, decoding as many video frames as the file's truns hold (audio: the
    /// file's duration within two AAC frames).
    @Test func gstreamerPlaysEveryRungOverDASHAndHLS() async throws {
        let fx = try await Fixture.shared()
        for element in ["dashdemux", "hlsdemux"] {
            let inspect = try await Tools.run(["gst-inspect-1.0", element], timeoutSeconds: 60)
            #expect(inspect.status == 0, "GStreamer's \(element) (gstreamer1.0-plugins-bad) is missing")
            guard inspect.status == 0 else { return }
        }
        let origin = try Harness.origin(fx.root)
        let work = try TestPaths.temporaryDirectory("origin-dash-gst")
        defer { try? FileManager.default.removeItem(at: work) }
        let runs = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            var runs = 0
            for p in fx.presentations {
                let folder = p.directory
                let (_, reps) = try SegmentListing.mpd(try Self.read(folder.appendingPathComponent("\(p.name).mpd")))
                let hasVideo = p.renditions.contains { $0.kind == .video }
                for r in p.renditions where r.kind == .video || !hasVideo {
                    let rep = try #require(reps.first { $0.file == r.file })
                    let samples = try Self.checkRanges(rep, folder: folder, label: r.file)
                    let base = "\(server.base)/\(p.prefix)"
                    let hls = base + HLSPlaylistBuilder.mediaPlaylistName(for: r.file)
                    try await Self.play(
                        source: ["souphttpsrc", "location=\(hls)", "!", "hlsdemux", "!", "decodebin", "name=d"],
                        rendition: r, samples: samples, work: work, label: "\(p.name) \(r.file) over HLS")
                    let speed = (rep.bandwidth ?? 0) / 1000 + 1
                    try await Self.play(
                        source: [
                            "souphttpsrc", "location=\(base)\(p.name).mpd", "!", "dashdemux",
                            "connection-speed=\(speed)", "bitrate-limit=1.0", "name=dm",
                            "dm.\(r.kind == .video ? "video" : "audio")_00", "!", "decodebin", "name=d",
                        ],
                        rendition: r, samples: samples, work: work, label: "\(p.name) \(r.file) over DASH")
                    runs += 2
                }
            }
            return runs
        }
        #expect(runs > 0)
        print("OriginTests: GStreamer dashdemux/hlsdemux played \(runs) rung runs to EOS")
    }

    static func play(source: [String], rendition r: RenditionOutput, samples: Int, work: URL, label: String) async throws {
        let file = work.appendingPathComponent("decoded.raw").path
        try? FileManager.default.removeItem(atPath: file)
        var arguments = ["gst-launch-1.0", "-m"] + source + ["d.", "!"]
        if r.kind == .video {
            let (w, h) = (try #require(r.width), try #require(r.height))
            // dashdemux (1.22) starts every stream at its lowest representation and moves to the forced one
            // from the second segment on: videoscale keeps the picture size fixed across that switch.
            arguments += ["videoconvert", "!", "videoscale", "!", "video/x-raw,format=I420,width=\(w),height=\(h)"]
        } else {
            arguments += ["audioconvert", "!", "audio/x-raw,format=S16LE,layout=interleaved"]
        }
        arguments += ["!", "filesink", "location=\(file)"]
        let result = try await Tools.run(arguments, timeoutSeconds: 180)
        let output = result.stdout + result.stderr
        #expect(result.status == 0, "\(label): gst-launch exited \(result.status): \(output.suffix(1500))")
        #expect(output.contains("Got EOS from element \"pipeline0\""), "\(label) reached the end")
        #expect(!output.contains("ERROR:"), "\(label): error on the bus: \(output.suffix(1500))")
        let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        if r.kind == .video, let w = r.width, let h = r.height {
            let frameSize = (w + 3) / 4 * 4 * h + 2 * (((w + 1) / 2 + 3) / 4 * 4) * ((h + 1) / 2)
            #expect(bytes % frameSize == 0 && bytes / frameSize == samples,
                    "\(label): decoded \(Double(bytes) / Double(frameSize)) frames, the file holds \(samples)")
        } else {
            #expect(bytes > 0, "\(label): decoded audio")
        }
    }

    /// ffprobe reads both manifests over HTTP and lists every file as a stream; ffmpeg decodes every
    /// stream of the MPD and every media playlist completely, without an error, with the file's frame count.
    @Test func ffmpegDecodesEveryRepresentationAndPlaylist() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let decoded = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            var decoded = 0
            for p in fx.presentations {
                let folder = p.directory
                let (_, reps) = try SegmentListing.mpd(try Self.read(folder.appendingPathComponent("\(p.name).mpd")))
                let base = "\(server.base)/\(p.prefix)"
                for (url, count) in [("\(base)\(p.name).mpd", reps.count), ("\(base)\(p.name).m3u8", reps.count)] {
                    let probe = try await Tools.run(
                        ["ffprobe", "-v", "error"] + Self.hlsExtensions(url)
                            + ["-show_entries", "stream=index,codec_name", "-of", "csv=p=0", url],
                        timeoutSeconds: 120)
                    #expect(probe.status == 0 && probe.stderr.isEmpty, "ffprobe \(url): \(probe.stderr.suffix(1000))")
                    let streams = probe.stdout.split(separator: "\n").count
                    // the multivariant playlist lists audio once per variant group member; at least every file
                    #expect(streams >= count, "ffprobe \(url): \(streams) streams for \(count) files")
                }
                for (index, rep) in reps.enumerated() {
                    let samples = try Self.checkRanges(rep, folder: folder, label: rep.file)
                    for (url, map) in [
                        ("\(base)\(p.name).mpd", "0:\(index)"),
                        (base + HLSPlaylistBuilder.mediaPlaylistName(for: rep.file), "0:0"),
                    ] {
                        let r = try await Tools.run(
                            ["ffmpeg", "-nostdin", "-v", "error"] + Self.hlsExtensions(url)
                                + ["-i", url, "-map", map, "-f", "framecrc", "-"],
                            timeoutSeconds: 180)
                        #expect(r.status == 0 && r.stderr.isEmpty, "ffmpeg \(url) \(map): \(r.stderr.suffix(1000))")
                        let frames = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
                        #expect(frames == samples, "ffmpeg \(url) \(map) (\(rep.file)): \(frames) frames, the file holds \(samples)")
                        decoded += 1
                    }
                }
            }
            return decoded
        }
        print("OriginTests: ffmpeg decoded \(decoded) DASH representations and HLS media playlists completely")
    }

    /// FFmpeg's HLS demuxer (since 5.1.5 / 6.1.2 / 7.0.1) refuses segment URLs whose extension is not in
    /// `allowed_segment_extensions`, whose default list has `mp4`/`m4s` but not `ismv`/`isma`; its mov
    /// demuxer then reads them as it reads any fMP4. FFmpeg-based players need this option for our playlists.
    static func hlsExtensions(_ url: String) -> [String] {
        url.hasSuffix(".m3u8") ? ["-allowed_segment_extensions", "ALL"] : []
    }

    /// yt-dlp lists every file of the HLS multivariant playlist and of the MPD as a format and downloads
    /// every HLS format (its native HLS downloader honours EXT-X-BYTERANGE and EXT-X-MAP BYTERANGE).
    @Test func ytDlpListsEveryFormat() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let work = try TestPaths.temporaryDirectory("origin-dash-ytdlp")
        defer { try? FileManager.default.removeItem(at: work) }
        try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            for p in fx.presentations {
                let base = "\(server.base)/\(p.prefix)"
                for ext in ["mpd", "m3u8"] {
                    let r = try await Tools.run(
                        Tools.ytDlp + ["--dump-single-json", "--no-cache-dir", "\(base)\(p.name).\(ext)"], timeoutSeconds: 120)
                    #expect(r.status == 0, "yt-dlp \(p.name).\(ext): \(r.stderr.suffix(1500))")
                    let info = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
                    let formats = info?["formats"] as? [[String: Any]] ?? []
                    #expect(formats.count >= p.renditions.count, "\(p.name).\(ext): yt-dlp lists \(formats.count) formats")
                }
                let folder = work.appendingPathComponent(p.name)
                let r = try await Tools.run(
                    Tools.ytDlp + [
                        "--no-simulate", "--dump-single-json", "--format", "all", "--no-progress", "--no-cache-dir",
                        "--output", "\(folder.path)/%(format_id)s.%(ext)s", "\(base)\(p.name).m3u8",
                    ], timeoutSeconds: 240)
                #expect(r.status == 0, "yt-dlp download \(p.name).m3u8: \(r.stderr.suffix(1500))")
                let info = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
                let files = (info?["requested_downloads"] as? [[String: Any]] ?? []).compactMap { $0["filepath"] as? String }
                #expect(files.count >= p.renditions.count, "\(p.name): yt-dlp downloaded \(files.count) formats")
                for f in files {
                    let null = try await Tools.run(["ffmpeg", "-nostdin", "-v", "error", "-i", f, "-f", "null", "-"])
                    #expect(null.status == 0 && null.stderr.isEmpty, "ffmpeg \(f): \(null.stderr.suffix(800))")
                }
            }
        }
    }
}
