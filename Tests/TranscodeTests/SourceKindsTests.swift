import Foundation
import FFmpeg
import MediaCore
import Planning
import TestSupport
import Testing
import Transcode

/// Makes a clip with the ffmpeg CLI into `dir`; fails the test if ffmpeg is missing or fails.
func makeClip(_ dir: URL, _ name: String, _ arguments: [String]) throws -> String {
    let path = dir.appendingPathComponent(name).path
    let result = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + arguments + [path])
    guard result.status == 0 else { throw ExternalToolError(message: "ffmpeg failed: \(result.stderr)") }
    return path
}

@Suite struct SourceKindsTests {
    @Test func probeDescribesTestMedia() throws {
        let bars = try Probe.probe(path: TestPaths.testMedia("bars-25fps-stereo.mp4"))
        #expect(bars.videoStreams.count == 1 && bars.audioStreams.count == 1)
        #expect(bars.primaryVideo?.frameRate == Rational(25, 1))
        #expect(bars.primaryVideo?.isVariableFrameRate == false)
        #expect(bars.audioStreams.first?.channelLayout == "stereo")
        #expect(bars.fileSize > 0)

        let ntsc = try Probe.probe(path: TestPaths.testMedia("ntsc-2997fps-5.1.mp4"))
        #expect(ntsc.primaryVideo?.frameRate == Rational(30000, 1001))
        #expect(ntsc.audioStreams.first?.channels == 6)

        let pal = try Probe.probe(path: TestPaths.testMedia("pal-4x3-anamorphic.mp4"))
        #expect(pal.primaryVideo?.sampleAspectRatio == Rational(16, 15))
        #expect(pal.primaryVideo?.displayAspect == Rational(4, 3))

        let phone = try Probe.probe(path: TestPaths.testMedia("phone-portrait-rotated.mp4"))
        #expect(phone.primaryVideo?.rotation == 90)
        #expect(phone.primaryVideo?.displayedSize.width == 360)
        #expect(phone.primaryVideo?.displayedSize.height == 640)

        let audioOnly = try Probe.probe(path: TestPaths.testMedia("tone-44100hz-audio-only.m4a"))
        #expect(audioOnly.videoStreams.isEmpty && audioOnly.audioStreams.first?.sampleRate == 44100)
        let videoOnly = try Probe.probe(path: TestPaths.testMedia("film-23976fps-video-only.mkv"))
        #expect(videoOnly.audioStreams.isEmpty && videoOnly.primaryVideo?.frameRate == Rational(24000, 1001))
    }

    @Test func portraitSourceGivesPortraitRungs() throws {
        let (plan, _, sinks, _) = try transcode(TestPaths.testMedia("phone-portrait-rotated.mp4"),
                                                profile: try Profile.builtin("fast"))
        #expect(plan.video?.rotation == 90)
        for case (.video(_, let rung), let sink) in sinks {
            #expect(rung.width < rung.height)
            if case .video(let v) = sink.config { #expect(v.width == rung.width && v.height == rung.height) }
        }
    }

    @Test func surroundIsDownmixedToStereo() throws {
        let (_, _, sinks, _) = try transcode(TestPaths.testMedia("ntsc-2997fps-5.1.mp4"), profile: try Profile.builtin("fast"))
        let audio = sinks.filter { !$0.0.isVideo }
        #expect(audio.count == 1)
        if case .audio(let a) = audio.first?.1.config {
            #expect(a.channels == 2 && a.sampleRate == 48000 && a.audioSpecificConfig == [0x11, 0x90])
        }
    }

    @Test func tenBitInterlaced422BecomesProgressive8Bit420() throws {
        let dir = try TestPaths.temporaryDirectory("interlaced")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try makeClip(dir, "i422p10.mkv", [
            "-f", "lavfi", "-i", "testsrc2=size=720x480:rate=30000/1001:duration=3,format=yuv422p10le",
            "-c:v", "libx264", "-profile:v", "high422", "-flags", "+ilme+ildct", "-x264-params", "interlaced=1:tff=1",
            "-field_order", "tt"])
        let source = try Probe.probe(path: path)
        #expect(source.primaryVideo?.bitDepth == 10)
        #expect(source.primaryVideo?.fieldOrder.isInterlaced == true)
        let (plan, _, sinks, _) = try transcode(path, profile: try Profile.builtin("fast"), writeStreams: dir)
        #expect(plan.video?.deinterlace == true)
        for case (.video(_, let rung), let sink) in sinks {
            guard case .video(let v) = sink.config else { continue }
            // profile_idc 100 (High) or 77 (Main) or 66 (Baseline): 8-bit 4:2:0 profiles, never High 4:2:2 (122).
            #expect([66, 77, 100].contains(v.profileIndication))
            let json = try External.ffprobeJSON(["-show_streams", dir.appendingPathComponent("\(rung.name).h264").path])
            let stream = (json["streams"] as? [[String: Any]])?.first
            #expect(stream?["pix_fmt"] as? String == "yuv420p")
            #expect((stream?["field_order"] as? String).map { $0 == "progressive" } ?? true)
        }
    }

    @Test func variableFrameRateBecomesConstant() throws {
        let dir = try TestPaths.temporaryDirectory("vfr")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Frames at irregular times: 25 fps for 2 s, then 12.5 fps for 2 s, in Matroska (1 ms timestamps).
        let path = try makeClip(dir, "vfr.mkv", [
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
            "-vf", "select='lt(t,2)+not(mod(n,2))'", "-fps_mode", "vfr", "-c:v", "libx264"])
        let (plan, _, sinks, _) = try transcode(path, profile: try Profile.builtin("fast"))
        let video = try #require(plan.video)
        for case (.video, let sink) in sinks {
            #expect(sink.samples.allSatisfy { abs($0.duration - Int64(video.frameDuration.doubleValue * 1e7)) <= 1 })
        }
    }

    @Test func averageBitrateIsNearTargetOnA20SecondClip() throws {
        let dir = try TestPaths.temporaryDirectory("bitrate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try makeClip(dir, "20s.mp4", [
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=20", "-c:v", "libx264", "-crf", "18",
            "-preset", "ultrafast"])
        let (_, _, _, summary) = try transcode(path, profile: try Profile.builtin("fast"))
        for output in summary.outputs where output.rendition.isVideo {
            let target = Double(output.rendition.bitrate)
            let measured = Double(output.measuredBitrate)
            #expect(abs(measured - target) / target <= 0.20,
                    "\(output.rendition.label): \(Int(measured)) b/s for a \(Int(target)) b/s target")
        }
    }
}

@Suite struct BadInputTests {
    enum Kind: String, CaseIterable { case missing, directory, empty, truncated, text, randomBytes }

    func makeInput(_ kind: Kind, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("input-\(kind.rawValue).mp4").path
        switch kind {
        case .missing:
            return dir.appendingPathComponent("does-not-exist.mp4").path
        case .directory:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        case .empty:
            _ = FileManager.default.createFile(atPath: path, contents: Data())
        case .truncated:
            let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")))
            _ = FileManager.default.createFile(atPath: path, contents: data.prefix(data.count * 2 / 3))
        case .text:
            _ = FileManager.default.createFile(atPath: path, contents: Data("just some notes, not a video\n".utf8))
        case .randomBytes:
            var generator = SystemRandomNumberGenerator()
            _ = FileManager.default.createFile(atPath: path, contents: Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
        return path
    }

    @Test(arguments: Kind.allCases)
    func badInputThrowsANamedError(_ kind: Kind) throws {
        let dir = try TestPaths.temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try makeInput(kind, in: dir)
        do {
            let source = try Probe.probe(path: path)
            let plan = try LadderPlanner.plan(source: source, profile: try Profile.builtin("fast"))
            _ = try LadderTranscoder(sourcePath: path, plan: plan).run(sinks: { _ in RecordingSink(streamURL: nil) })
            Issue.record("\(kind): no error")
        } catch let error as FFmpegError {
            #expect(error.path == path)
            #expect(String(describing: error).contains(path))
            #expect(!error.message.isEmpty)
            #expect(error.function.hasPrefix("av"))
        } catch let error as PlanError {
            // Opened but holds no audio or video stream: refused by the planner, naming nothing to encode.
            #expect([Kind.text, .randomBytes].contains(kind), "\(kind): \(error)")
        }
    }
}
