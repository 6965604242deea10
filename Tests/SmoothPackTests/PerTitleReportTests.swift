import Foundation
import ISOBMFF
import MediaCore
import Planning
import Publish
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

/// Two contrasting 6 s clips made with FFmpeg's generators: a still test card (easy) and moving
/// full-frame noise (hard).
enum ContrastingClips {
    static func make(in dir: URL) throws -> (easy: URL, hard: URL) {
        let easy = dir.appendingPathComponent("still-card.mp4"), hard = dir.appendingPathComponent("noise.mp4")
        for (url, source) in [(easy, "smptehdbars=size=640x360:rate=25:duration=6"),
                              (hard, "testsrc2=size=640x360:rate=25:duration=6,noise=alls=60:allf=t+u")] {
            let r = try External.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source,
                                      "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", url.path])
            guard r.status == 0 else { throw ExternalToolError(message: "ffmpeg: \(r.stderr)") }
        }
        return (easy, hard)
    }
}

@Suite(.serialized) struct PerTitleReportTests {
    func bytes(_ p: Presentation) -> Int64 { p.renditions.filter { $0.kind == .video }.reduce(0) { $0 + $1.bytes } }

    @Test func perTitleSpendsLessOnlyWhereThePictureAllows() async throws {
        let dir = try TestPaths.temporaryDirectory("per-title")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (easy, hard) = try ContrastingClips.make(in: dir)
        let fixed = try Packager(profile: .profile(try qualityTestProfile()))
        let perTitle = try Packager(profile: .profile(try qualityTestProfile(ladder: "per-title")))
        let out = dir.appendingPathComponent("out")
        let easyFixed = try await fixed.encode(source: easy, into: out)
        let easyPT = try await perTitle.encode(source: easy, into: out)
        let hardFixed = try await fixed.encode(source: hard, into: out)
        let hardPT = try await perTitle.encode(source: hard, into: out)

        // Easy: well below the fixed ladder; hard: the fixed ladder (every rung at its ceiling).
        #expect(Double(bytes(easyPT)) < 0.5 * Double(bytes(easyFixed)), "\(bytes(easyPT)) vs \(bytes(easyFixed))")
        let hardDecision = try #require(hardPT.perTitle)
        #expect(hardDecision.rungs.allSatisfy { $0.mode == .ceiling }, "\(hardDecision.rungs)")
        // Same settings for every rung, so the same bytes, although the per-title run opened the analysis's
        // encoders first in this process (x264 is kept off AVX-512, whose code made that matter; docs/quality.md).
        #expect(bytes(hardPT) == bytes(hardFixed), "\(bytes(hardPT)) vs \(bytes(hardFixed))")
        for (a, b) in zip(hardPT.renditions.filter { $0.kind == .video }, hardFixed.renditions.filter { $0.kind == .video }) {
            let same = try Data(contentsOf: hardPT.directory.appendingPathComponent(a.file))
                == Data(contentsOf: hardFixed.directory.appendingPathComponent(b.file))
            #expect(same, "\(a.file): per-title and fixed bytes differ")
        }
        let easyDecision = try #require(easyPT.perTitle)
        #expect(easyDecision.rungs.contains { $0.mode == .cappedCRF })
        #expect(easyDecision.measurement.points.count == 2 && easyDecision.measurement.points.allSatisfy { $0.bitsPerSecond > 0 })

        for p in [easyPT, hardPT] {
            let server = try ServerManifest(xml: Array(try Data(contentsOf: p.serverManifest)))
            let client = try ClientManifest(xml: Array(try Data(contentsOf: p.directory.appendingPathComponent("\(p.name).ismc"))))
            let video = try #require(client.streams.first { $0.type == .video })
            let outputs = p.renditions.filter { $0.kind == .video }
            #expect(video.qualityLevels.map(\.bitrate).sorted() == outputs.map(\.bitrate).sorted())
            #expect(Set(outputs.map(\.bitrate)).count == outputs.count)
            for o in outputs {
                // The declared bitrate is what the file holds (capped-CRF rungs), or the profile's (ceiling rungs).
                if p.perTitle?.rungs.first(where: { $0.bitrate == o.bitrate && $0.mode == .ceiling }) == nil {
                    #expect(o.bitrate >= o.measuredBitrate && o.bitrate < o.measuredBitrate + 3000, "\(o)")
                }
                let track = try #require(server.track(bitrate: o.bitrate, name: video.name))
                #expect(track.src == o.file && o.file.contains("_\(o.bitrate)."))
                let path = p.directory.appendingPathComponent(o.file).path
                #expect(IsmvChecker.check(path: path).isEmpty, "\(o.file): \(IsmvChecker.check(path: path))")
                let probe = try External.ffprobeJSON(["-show_streams", "-select_streams", "v", path])
                #expect((probe["streams"] as? [[String: Any]])?.first?["codec_name"] as? String == "h264")
            }
            // The MPD lists every rung (its bandwidth is measured from the segments by the DASH writer).
            let mpd = try String(contentsOf: p.directory.appendingPathComponent("\(p.name).mpd"), encoding: .utf8)
            for o in outputs { #expect(mpd.contains(o.file), "\(o.file) not in the MPD") }
        }

        // probe --ladder per-title shows the decision.
        let profileFile = dir.appendingPathComponent("quality-test.yaml")
        try Data(qualityTestYAML().utf8).write(to: profileFile)
        let probe = try External.run([try TestPaths.smoothpackBinary, "probe", easy.path, "--profile", profileFile.path,
                                      "--ladder", "per-title", "--json"])
        #expect(probe.status == 0, "\(probe.stderr)")
        let json = try JSONSerialization.jsonObject(with: probe.stdoutData) as? [String: Any]
        let decision = json?["perTitle"] as? [String: Any]
        #expect((decision?["rungs"] as? [Any])?.count == 3)
    }

    @Test func reportRendersInChromium() async throws {
        let (_, p) = try await MeasuredEncode.shared.get()
        let quality = try #require(p.quality)
        let report = p.directory.appendingPathComponent("report.html")
        let html = try String(contentsOf: report, encoding: .utf8)
        // Self-contained: no scripts, nothing loaded from elsewhere.
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url(http"))
        #expect(!p.uploadManifest.objects.contains { $0.key.hasSuffix("report.html") })

        let chromium = ["chromium", "chromium-browser"].first { name in
            (try? External.run(["sh", "-c", "command -v \(name)"]).status) == 0
        }
        let browser = try #require(chromium, "chromium is not installed (scripts/bootstrap installs it)")
        let dir = try TestPaths.temporaryDirectory("chromium")
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                      "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--enable-logging=stderr", "--v=0"]
        let dom = try External.run(common + ["--dump-dom", report.absoluteString], timeout: 240)
        #expect(dom.status == 0, "\(dom.stderr.suffix(1000))")
        func count(_ cls: String) -> Int { dom.stdout.components(separatedBy: "class=\"\(cls)\"").count - 1 }
        let video = p.renditions.filter { $0.kind == .video }
        let fragments = video.reduce(0) { $0 + $1.fragments }
        #expect(count("bar-declared") == video.count && count("bar-measured") == video.count)
        #expect(count("pt-bitrate") == fragments)
        #expect(count("pt-quality") == quality.rungs.reduce(0) { $0 + $1.fragments.count })
        #expect(count("thumb") == 3)   // 6 s at one per 2 s
        #expect(!dom.stderr.contains("CONSOLE") && !dom.stderr.contains("Uncaught"), "\(dom.stderr.suffix(1000))")

        let shot = dir.appendingPathComponent("report.png")
        let capture = try External.run(common + ["--screenshot=\(shot.path)", "--window-size=1200,2400", report.absoluteString],
                                       timeout: 240)
        #expect(capture.status == 0, "\(capture.stderr.suffix(1000))")
        let png = try Data(contentsOf: shot)
        #expect(png.count > 20_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(!capture.stderr.contains("CONSOLE"), "\(capture.stderr.suffix(1000))")
    }
}
