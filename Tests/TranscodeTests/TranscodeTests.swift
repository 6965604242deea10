import Foundation
import FFmpeg
import MediaCore
import Planning
import TestSupport
import Testing
import Transcode

/// Runs probe → plan → transcode on a file with a profile, recording every rendition.
func transcode(_ path: String, profile: Profile, writeStreams dir: URL? = nil)
    throws -> (plan: LadderPlan, source: SourceInfo, sinks: [(Rendition, RecordingSink)], summary: TranscodeSummary) {
    let source = try Probe.probe(path: path)
    let plan = try LadderPlanner.plan(source: source, profile: profile)
    let transcoder = LadderTranscoder(sourcePath: path, plan: plan)
    var sinks: [(Rendition, RecordingSink)] = []
    let summary = try transcoder.run(sinks: { rendition in
        let ext = rendition.isVideo ? "h264" : "aac"
        let sink = RecordingSink(streamURL: dir?.appendingPathComponent("\(rendition.label).\(ext)"))
        sinks.append((rendition, sink))
        return sink
    })
    return (plan, source, sinks, summary)
}

@Suite struct LadderTranscodeTests {
    @Test(arguments: TestPaths.allTestMedia)
    func everyTestClipTranscodesOnOneGrid(_ name: String) throws {
        let dir = try TestPaths.temporaryDirectory("transcode")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (plan, source, sinks, _) = try transcode(TestPaths.testMedia(name), profile: try Profile.builtin("fast"),
                                                     writeStreams: dir)
        #expect(sinks.allSatisfy { $0.1.finished })

        if let video = plan.video, let stream = source.primaryVideo {
            let rungs = sinks.filter { $0.0.isVideo }.map(\.1)
            #expect(rungs.count == video.rungs.count)
            let gop = Int64(video.framesPerFragment)
            let grid = (0..<Int64(10_000)).map { Clock.time(ofUnit: $0 * gop, unitDuration: video.frameDuration) }
            let reference = rungs[0].samples.filter(\.isSync).map(\.decodeTime)
            for rung in rungs {
                // Decode times start at 0 and are contiguous; sync samples exactly on the grid, in every rung.
                #expect(rung.samples.first?.decodeTime == 0)
                for (a, b) in zip(rung.samples, rung.samples.dropFirst()) { #expect(a.decodeTime + a.duration == b.decodeTime) }
                let sync = rung.samples.filter(\.isSync)
                #expect(sync.map(\.decodeTime) == reference)
                #expect(sync.map(\.presentationTime) == reference)
                #expect(sync.map(\.decodeTime) == Array(grid.prefix(sync.count)))
                let onGrid = Set(grid)
                #expect(rung.samples.allSatisfy { $0.isSync == onGrid.contains($0.presentationTime) })
                // Duration equals the source's within one frame.
                let sourceSeconds = stream.duration ?? source.duration ?? 0
                let seconds = Double(rung.totalDuration) / 1e7
                #expect(abs(seconds - sourceSeconds) <= video.frameDuration.doubleValue + 1e-6,
                        "\(name): video \(seconds) s vs source \(sourceSeconds) s")
            }
            // Independent check: ffprobe decodes the Annex-B stream and finds key frames only on the grid.
            for (rendition, rung) in sinks where rendition.isVideo {
                let json = try External.ffprobeJSON(["-show_frames", "-show_entries", "frame=key_frame,pict_type,width,height",
                                                     dir.appendingPathComponent("\(rendition.label).h264").path])
                let frames = json["frames"] as? [[String: Any]] ?? []
                #expect(frames.count == rung.samples.count)
                let keys = frames.enumerated().filter { ($0.element["key_frame"] as? Int) == 1 }.map { Int64($0.offset) }
                #expect(keys.allSatisfy { $0 % gop == 0 })
                #expect(keys.count == rung.samples.filter(\.isSync).count)
                if case .video(let rungPlan) = rendition.rungPlan {
                    #expect(frames.first?["width"] as? Int == rungPlan.width)
                    #expect(frames.first?["height"] as? Int == rungPlan.height)
                }
            }
        }
        for (rendition, sink) in sinks where !rendition.isVideo {
            guard case .audio(let a) = sink.config, let stream = source.audioStreams.first else {
                Issue.record("audio rendition without audio config"); continue
            }
            #expect(a.audioSpecificConfig == AudioCodecConfig.lcAudioSpecificConfig(sampleRate: a.sampleRate, channels: a.channels))
            // Content duration (minus the encoder's 1024-sample priming) equals the source's within one AAC frame.
            let frame = 1024.0 / Double(a.sampleRate)
            let seconds = Double(sink.totalDuration) / 1e7 - frame
            let sourceSeconds = stream.duration ?? source.duration ?? 0
            #expect(abs(seconds - sourceSeconds) <= frame + 1e-6, "\(name): audio \(seconds) s vs \(sourceSeconds) s")
            let json = try External.ffprobeJSON(["-count_packets", "-show_streams",
                                                 dir.appendingPathComponent("\(rendition.label).aac").path])
            let streams = json["streams"] as? [[String: Any]] ?? []
            #expect(streams.first?["channels"] as? Int == a.channels)
            #expect(Int(streams.first?["nb_read_packets"] as? String ?? "") == sink.samples.count)
        }
    }
}

extension Rendition {
    enum Planned { case video(VideoRung), audio(AudioPlan) }
    var rungPlan: Planned {
        switch self {
        case .video(_, let rung): return .video(rung)
        case .audio(_, let track): return .audio(track)
        }
    }
}
