import Foundation
import ISOBMFF
import MediaCore
import Testing

/// Independent-tool tests: real H.264 and AAC made by the ffmpeg CLI, fragmented by us, then read and
/// decoded by ffprobe/ffmpeg. Fails (never skips) when the tools are missing.
@Suite(.serialized) struct FFmpegInteropTests {
    /// Makes a source clip with ffmpeg, converts its packets to EncodedSamples, fragments them to `out`.
    private func roundTrip(video: Bool, clipArgs: [String], ext: String, policy: FragmentationPolicy? = nil)
        throws -> (input: ProbedStream, index: FragmentIndex, file: String)
    {
        try FF.requireTools()
        let dir = try FF.tempDir()
        let clip = dir.appendingPathComponent("source.mp4").path
        let made = try FF.run(FF.ffmpeg, ["-v", "error", "-y"] + clipArgs + [clip])
        try #require(made.status == 0, "ffmpeg could not make the test clip: \(made.stderr)")
        let input = try ProbedStream.load(clip, video: video)
        let out = dir.appendingPathComponent("out.\(ext)").path
        let sink = try FileSink(path: out)
        let f = try Fragmenter(sink: sink, trackID: video ? 1 : 2, codec: input.codec, policy: policy)
        try f.append(contentsOf: input.samples)
        let index = try f.finish()
        try sink.close()
        return (input, index, out)
    }

    /// ffprobe reads the file, ffmpeg decodes it without a word on stderr, and the frame count and
    /// duration equal what went in.
    private func assertDecodes(_ file: String, input: ProbedStream, index: FragmentIndex) throws {
        let decode = try FF.run(FF.ffmpeg, ["-v", "error", "-i", file, "-f", "null", "-"])
        #expect(decode.status == 0)
        #expect(decode.stderr.isEmpty, "ffmpeg decode errors: \(decode.stderr)")

        let counted = try FF.probe(file, ["-count_frames", "-show_streams"])
        let stream = try #require((counted["streams"] as? [[String: Any]])?.first)
        #expect(FF.int(stream["nb_read_frames"]) == Int64(input.samples.count))
        #expect(stream["time_base"] as? String == "1/10000000")
        // stream duration (10 MHz ticks) == what went in == what the index says
        let inputEnd = input.samples.last.map { $0.decodeTime + $0.duration } ?? 0
        #expect(FF.int(stream["duration_ts"]) == inputEnd)
        #expect(index.duration == inputEnd)

        let packets = try #require(try FF.probe(file, ["-show_packets"])["packets"] as? [[String: Any]])
        #expect(packets.count == input.samples.count)
        let dts = packets.compactMap { FF.int($0["dts"]) }
        let pts = packets.compactMap { FF.int($0["pts"]) }
        #expect(dts == input.samples.map(\.decodeTime))
        // FFmpeg's mov demuxer moves every pts later by the most negative composition offset (its
        // dts_shift) so that pts >= dts; apart from that shift the presentation times are ours.
        let shift = max(0, -(input.samples.map(\.compositionOffset).min() ?? 0))
        #expect(pts == input.samples.map { $0.presentationTime + shift })
        // key frames exactly at the sync samples that went in
        let keys = packets.map { ($0["flags"] as? String ?? "").hasPrefix("K") }
        if case .video = input.codec { #expect(keys == input.samples.map(\.isSync)) }
        #expect(IsmvChecker.check(path: file) == [])
    }

    @Test func h264WithBFramesDecodesInFFmpeg() throws {
        let (input, index, file) = try roundTrip(
            video: true,
            clipArgs: [
                "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "4", "-c:v", "libx264", "-g", "50",
                "-keyint_min", "50", "-sc_threshold", "0", "-bf", "2", "-pix_fmt", "yuv420p",
            ], ext: "ismv")
        defer { FF.removeDirectory(of: file) }
        #expect(input.samples.count == 100)
        #expect(input.samples.contains { $0.compositionOffset < 0 })  // B-frames give negative offsets
        #expect(index.fragments.map(\.time) == [0, 20_000_000])
        #expect(index.fragments.map(\.duration) == [20_000_000, 20_000_000])
        let probe = try FF.probe(file, ["-show_streams", "-show_format"])
        let stream = try #require((probe["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec_name"] as? String == "h264")
        #expect(FF.int(stream["width"]) == 320 && FF.int(stream["height"]) == 180)
        try assertDecodes(file, input: input, index: index)
        // the moov reader gives back what went in
        let tracks = try MovieReader.tracks(in: try FileSource(path: file))
        #expect(tracks.map(\.codec) == [input.codec])
    }

    @Test func ntscH264DecodesInFFmpeg() throws {
        let (input, index, file) = try roundTrip(
            video: true,
            clipArgs: [
                "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30000/1001", "-t", "4.1", "-c:v", "libx264", "-g",
                "60",
                "-keyint_min", "60", "-sc_threshold", "0", "-bf", "3", "-pix_fmt", "yuv420p",
            ], ext: "ismv")
        defer { FF.removeDirectory(of: file) }
        #expect(index.fragments.first?.duration == 20_020_000)
        try assertDecodes(file, input: input, index: index)
    }

    @Test func aacDecodesInFFmpeg() throws {
        let (input, index, file) = try roundTrip(
            video: false,
            clipArgs: [
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-ac", "2", "-c:a", "aac",
                "-b:a", "128k",
            ], ext: "isma")
        defer { FF.removeDirectory(of: file) }
        guard case .audio(let config) = input.codec else {
            Issue.record("not audio")
            return
        }
        #expect(config.audioSpecificConfig == [0x11, 0x90])
        #expect(index.fragments.first?.sampleCount == 94)
        let probe = try FF.probe(file, ["-show_streams"])
        let stream = try #require((probe["streams"] as? [[String: Any]])?.first)
        #expect(stream["codec_name"] as? String == "aac")
        #expect(FF.int(stream["sample_rate"]) == 48000 && FF.int(stream["channels"]) == 2)
        try assertDecodes(file, input: input, index: index)
    }

    @Test func aac44100DecodesInFFmpeg() throws {
        let (input, index, file) = try roundTrip(
            video: false,
            clipArgs: [
                "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=44100", "-t", "3", "-ac", "2", "-c:a", "aac",
            ], ext: "isma")
        defer { FF.removeDirectory(of: file) }
        #expect(index.fragments.first?.sampleCount == 86)
        try assertDecodes(file, input: input, index: index)
    }

    @Test func annexBConversion() {
        let annexB: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 0x88, 0x00, 0x00, 0x00, 0x01, 0x41, 0x9A]
        #expect(FF.lengthPrefixed(annexB) == [0, 0, 0, 2, 0x09, 0xF0, 0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 2, 0x41, 0x9A])
        #expect(FF.lengthPrefixed([0, 0, 0, 2, 0x41, 0x9A]) == [0, 0, 0, 2, 0x41, 0x9A])
    }
}
