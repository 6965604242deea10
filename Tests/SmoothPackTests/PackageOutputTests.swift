import Foundation
import ISOBMFF
import MediaCore
import Platform
import Publish
import SmoothPack
import TestSupport
import Testing
import Transcode

/// `package` writes the same bytes as before issue 17 changed how it reads and writes (one open and one demux
/// pass per input, alignment checked while muxing, digests taken while writing, 4 MiB writes on a thread of
/// their own): each media file is compared with what the previous path produces for the same track — a fresh
/// open of the input, one demux pass for that track alone, our fragmenter into memory.
@Suite struct PackageOutputTests {
    static let cases: [[String]] = [
        ["bars-25fps-stereo.mp4"],                              // video + audio in one file
        ["pal-4x3-anamorphic.mp4"],                             // 4:3 anamorphic, video + audio
        ["tone-44100hz-audio-only.m4a"],                        // audio only
        ["ntsc-2997fps-5.1.mp4"],                               // 29.97 fps, 5.1 audio
        ["bars-25fps-stereo.mp4", "bars-25fps-stereo.mp4"],     // two inputs: two video rungs, audio from the first
    ]

    @Test(arguments: cases)
    func mediaBytesEqualTheTwoPassPath(_ inputs: [String]) async throws {
        let out = try TestPaths.temporaryDirectory("package-bytes")
        defer { try? FileManager.default.removeItem(at: out) }
        let paths = inputs.map { TestPaths.testMedia($0) }
        let p = try await Packager(profile: .named("fast")).package(files: paths.map { URL(fileURLWithPath: $0) },
                                                                   into: out, name: "bytes")
        // Video rungs in input order, then the audio from the first input that has it.
        let videos = p.renditions.filter { $0.kind == .video }
        let audio = p.renditions.first { $0.kind == .audio }
        var videoInputs = paths.makeIterator()
        for rendition in videos {
            var expected: [UInt8]?
            while expected == nil, let path = videoInputs.next() {
                expected = try Self.twoPassBytes(path, video: true)
            }
            let written = try [UInt8](Data(contentsOf: p.directory.appendingPathComponent(rendition.file)))
            let same = expected.map { $0 == written } ?? false
            #expect(same, "\(inputs): \(rendition.file) differs from the two-pass output")
        }
        if let audio {
            var expected: [UInt8]?
            for path in paths where expected == nil { expected = try Self.twoPassBytes(path, video: false) }
            let written = try [UInt8](Data(contentsOf: p.directory.appendingPathComponent(audio.file)))
            let same = expected.map { $0 == written } ?? false
            #expect(same, "\(inputs): \(audio.file) differs from the two-pass output")
        }
    }

    /// The previous path for one track of `path`: the input opened afresh for that track alone (after a first
    /// pass, as the alignment check did), muxed with package's policy (2 s target) into memory. Nil when the
    /// file has no such track.
    static func twoPassBytes(_ path: String, video: Bool) throws -> [UInt8]? {
        let source = try PreEncodedSource(path: path)
        guard let track = source.tracks.first(where: { $0.config.isVideo == video }) else { return nil }
        try source.read(streamIndexes: [track.streamIndex]) { _, _ in }  // the first pass; the next one reopens
        let policy: FragmentationPolicy
        switch track.config {
        case .video: policy = .video(minimumDuration: 19_000_000)
        case .audio(let c):
            policy = .audio(framesPerFragment: FragmentationPolicy.audioFramesPerFragment(
                targetDuration: 20_000_000, sampleRate: c.sampleRate))
        }
        let sink = MemorySink()
        let fragmenter = try Fragmenter(sink: sink, trackID: video ? 1 : 2, codec: track.config, policy: policy)
        try source.read(streamIndexes: [track.streamIndex]) { _, sample in try fragmenter.append(sample) }
        _ = try fragmenter.finish()
        return sink.bytes
    }

    /// The digests in `upload-manifest.json` (taken while writing) are those of the files as they are on disk.
    @Test func uploadManifestDigestsMatchTheFiles() async throws {
        let out = try TestPaths.temporaryDirectory("package-digests")
        defer { try? FileManager.default.removeItem(at: out) }
        let urls = ["bars-25fps-stereo.mp4", "bars-25fps-stereo.mp4"].map { URL(fileURLWithPath: TestPaths.testMedia($0)) }
        let p = try await Packager(profile: .named("fast")).package(files: urls, into: out, name: "digests")
        let objects = p.uploadManifest.objects
        #expect(objects.filter { $0.key.hasSuffix(".ismv") || $0.key.hasSuffix(".isma") }.count == 3)
        for object in objects {
            let relative = String(object.key.dropFirst(p.uploadManifest.prefix.count))
            let disk = try Digests.file(atPath: p.directory.appendingPathComponent(relative).path)
            let same = object.size == disk.size && object.sha256 == Digests.hex(disk.sha256)
                && object.md5 == Digests.base64(disk.md5)
            #expect(same, "\(relative)")
        }
    }

    /// Matroska stores presentation times only, and this clip has B-frames: decode times are derived from the
    /// presentation times (before, package failed with "sample 1 duration … not positive"). FFmpeg decodes the
    /// packaged video without an error into the same pictures, in the same order, at the same times.
    @Test func matroskaWithBFramesPackagesAndDecodesToTheSourcePictures() async throws {
        let out = try TestPaths.temporaryDirectory("package-mkv")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = TestPaths.testMedia("film-23976fps-video-only.mkv")
        let p = try await Packager(profile: .named("fast")).package(files: [URL(fileURLWithPath: source)], into: out,
                                                                   name: "film")
        let video = try #require(p.renditions.first { $0.kind == .video })
        let path = p.directory.appendingPathComponent(video.file).path
        let decode = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "\(decode.stderr)")

        // The decoded pictures (framemd5: one line per frame in output order) are the source's.
        func pictures(_ file: String) throws -> [String] {
            let r = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-i", file, "-map", "0:v", "-f", "framemd5", "-"])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
                .compactMap { $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let sourcePictures = try pictures(source)
        #expect(sourcePictures.count > 50)
        #expect(try pictures(path) == sourcePictures)

        // Presentation times of the decoded frames, from the first one: equal to the source's (1 ms time base).
        func times(_ file: String) throws -> [Double] {
            let json = try External.ffprobeJSON(["-select_streams", "v", "-show_entries", "frame=pts_time", file])
            let frames = try #require(json["frames"] as? [[String: Any]])
            let t = frames.compactMap { ($0["pts_time"] as? String).flatMap(Double.init) }
            #expect(t.count == frames.count, "\(file): frames without a time")
            return t.map { $0 - (t.first ?? 0) }
        }
        let sourceTimes = try times(source)
        let packagedTimes = try times(path)
        #expect(packagedTimes.count == sourceTimes.count)
        for (a, b) in zip(packagedTimes, sourceTimes) where abs(a - b) > 0.000_5 {
            Issue.record("frame at \(b) s of the source is at \(a) s in the package")
            break
        }
        // Decode order is strictly increasing in the packaged file (what the muxer refused before).
        let packets = try External.ffprobeJSON(["-select_streams", "v", "-show_entries", "packet=dts", path])
        let dts = (packets["packets"] as? [[String: Any]] ?? []).compactMap { $0["dts"] as? Int }
        #expect(dts.count == sourcePictures.count)
        #expect(zip(dts, dts.dropFirst()).allSatisfy { $0 < $1 })
    }

    /// Matroska declares no bitrate per stream: each track is named and declared at the bitrate of the samples
    /// written (it was `_1000`, 1 kb/s, for every such track, so two Matroska rungs could not even be told apart
    /// by a player). Checked against the packet sizes ffprobe reads from the source.
    @Test func matroskaTracksAreNamedByTheirMeasuredBitrate() async throws {
        let out = try TestPaths.temporaryDirectory("package-mkv-bitrate")
        defer { try? FileManager.default.removeItem(at: out) }
        let mkv = out.appendingPathComponent("bars.mkv").path
        let remux = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-i", TestPaths.testMedia("bars-25fps-stereo.mp4"),
                                      "-c", "copy", mkv])
        try #require(remux.status == 0, "\(remux.stderr)")
        let declared = try External.ffprobeJSON(["-show_entries", "stream=bit_rate", mkv])
        let streams = try #require(declared["streams"] as? [[String: Any]])
        #expect(streams.allSatisfy { $0["bit_rate"] == nil }, "the remuxed file should declare no stream bitrate")

        let p = try await Packager(profile: .named("fast")).package(files: [URL(fileURLWithPath: mkv)], into: out.appendingPathComponent("out"),
                                                                   name: "bars")
        for kind in [RenditionOutput.Kind.video, .audio] {
            let r = try #require(p.renditions.first { $0.kind == kind })
            let packets = try External.ffprobeJSON(["-select_streams", kind == .video ? "v" : "a",
                                                    "-show_entries", "packet=size:format=duration", mkv])
            let list = try #require(packets["packets"] as? [[String: Any]])
            let bytes = list.compactMap { ($0["size"] as? String).flatMap(Int.init) }.reduce(0, +)
            let format = try #require(packets["format"] as? [String: Any])
            let seconds = try #require((format["duration"] as? String).flatMap(Double.init))
            let expected = Double(bytes) * 8 / seconds
            #expect(abs(Double(r.bitrate) - expected) <= max(2000, expected * 0.03),
                    "\(kind): declared \(r.bitrate) b/s, the source's packets give \(Int(expected))")
            #expect(r.file.hasSuffix("_\(r.bitrate).\(kind == .video ? "ismv" : "isma")"), "\(r.file) is not named by \(r.bitrate)")
            #expect(FileManager.default.fileExists(atPath: p.directory.appendingPathComponent(r.file).path))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: p.directory.path)
        #expect(!left.contains { $0.hasPrefix(".measuring-") }, "\(left)")
        let ismc = try String(contentsOf: p.directory.appendingPathComponent("bars.ismc"), encoding: .utf8)
        #expect(!ismc.contains("Bitrate=\"1000\""), "\(ismc)")
    }

    /// A second run with the same inputs returns the published presentation and leaves no work folder.
    @Test func aRepeatedPackageIsANoOp() async throws {
        let out = try TestPaths.temporaryDirectory("package-again")
        defer { try? FileManager.default.removeItem(at: out) }
        let urls = [URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4"))]
        let first = try await Packager(profile: .named("fast")).package(files: urls, into: out, name: "again")
        let second = try await Packager(profile: .named("fast")).package(files: urls, into: out, name: "again")
        #expect(first.status == .created)
        #expect(second.status == .upToDate)
        #expect(second.version == first.version)
        #expect(second.uploadManifest == first.uploadManifest)
        let entries = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!entries.contains { $0.hasPrefix(".tmp-") })
    }
}
