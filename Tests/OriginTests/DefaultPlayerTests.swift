import Foundation
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// What a GStreamer application gets when it just opens a URL: `playbin3` picks the adaptivedemux2 elements
/// (`mssdemux2`, `dashdemux2`, `hlsdemux2`, ranked above the elements the other player tests drive by name),
/// which download, choose rungs and switch on their own. Each plays every presentation's Smooth `Manifest`,
/// MPD and HLS master playlist to the end without an error on the bus, decoding every video frame (the
/// rungs share one fragment grid, so however it switches the count is the file's) and the audio's length.
@Suite struct DefaultPlayerTests {
    @Test func playbin3PlaysEveryPresentationOverSmoothDASHAndHLS() async throws {
        let fx = try await Fixture.shared()
        for element in ["mssdemux2", "dashdemux2", "hlsdemux2"] {
            let inspect = try await Tools.run(["gst-inspect-1.0", element], timeoutSeconds: 60)
            #expect(inspect.status == 0, "GStreamer's \(element) (gstreamer1.0-plugins-good) is missing")
            guard inspect.status == 0 else { return }
        }
        let origin = try Harness.origin(fx.root)
        let work = try TestPaths.temporaryDirectory("origin-playbin3")
        defer { try? FileManager.default.removeItem(at: work) }
        let runs = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            var runs = 0
            for p in fx.presentations {
                let levels = try Expected.levels(origin, Fixture.ismPath(p))
                let videoFrames = Set(levels.filter { $0.kind == .video }.map(\.samples))
                #expect(videoFrames.count <= 1, "\(p.name): video rungs hold different frame counts \(videoFrames)")
                let audioSamples = levels.first { $0.kind == .audio }.map { $0.samples * 1024 }   // AAC-LC frames
                let base = "\(server.base)/\(p.prefix)"
                var urls = ["Smooth": "\(base)\(p.name).ism/Manifest"]
                for (format, name) in [("DASH", "\(p.name).mpd"), ("HLS", "\(p.name).m3u8")]
                where FileManager.default.fileExists(atPath: p.directory.appendingPathComponent(name).path) {
                    urls[format] = base + name
                }
                for (format, url) in urls.sorted(by: { $0.key < $1.key }) {
                    try await Self.play(url, videoFrames: videoFrames.first, audioSamples: audioSamples, work: work,
                                        label: "\(p.name) over \(format)")
                    runs += 1
                }
            }
            return runs
        }
        #expect(runs >= fx.presentations.count * 3)
        print("OriginTests: GStreamer playbin3 (adaptivedemux2) played \(runs) presentation × format runs to the end")
    }

    /// Plays `url` with `playbin3` into raw files (as fast as it can: file sinks do not sync to the clock):
    /// video scaled to one fixed size whatever the rung, so the byte count gives the frame count; audio as
    /// 16-bit stereo, so it gives the sample count.
    static func play(_ url: String, videoFrames: Int?, audioSamples: Int?, work: URL, label: String) async throws {
        let video = work.appendingPathComponent("video.raw").path, audio = work.appendingPathComponent("audio.raw").path
        for file in [video, audio] { try? FileManager.default.removeItem(atPath: file) }
        let result = try await Tools.run([
            "gst-launch-1.0", "-m", "playbin3", "uri=\(url)",
            "video-sink=videoconvert ! videoscale ! video/x-raw,format=I420,width=64,height=36 ! filesink location=\(video)",
            "audio-sink=audioconvert ! audio/x-raw,format=S16LE,layout=interleaved,channels=2 ! filesink location=\(audio)",
        ], timeoutSeconds: 180)
        let output = result.stdout + result.stderr
        #expect(result.status == 0, "\(label): gst-launch exited \(result.status): \(output.suffix(1500))")
        #expect(output.contains("Got EOS from element \"playbin3"), "\(label) reached the end: \(output.suffix(1500))")
        #expect(!output.contains("ERROR:") && !output.contains("(error)"), "\(label): error on the bus: \(output.suffix(1500))")
        func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }
        let frameSize = 64 * 36 * 3 / 2
        if let videoFrames {
            #expect(size(video) == videoFrames * frameSize,
                    "\(label): \(Double(size(video)) / Double(frameSize)) video frames, the files hold \(videoFrames)")
        } else {
            #expect(size(video) == 0, "\(label): video from an audio-only presentation")
        }
        if let audioSamples {
            // Within two AAC frames: decoders differ in what they make of the first and last frame.
            #expect(abs(size(audio) / 4 - audioSamples) <= 2 * 1024,
                    "\(label): \(size(audio) / 4) audio samples, the files hold \(audioSamples)")
        }
    }
}
