import Foundation
import ISOBMFF
import MediaCore
import Planning
import Publish
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

/// A small two-rung profile: 360p (the source's own size: no scaling) and 180p (scaled by our scaler).
func qualityTestProfile(ladder: String = "fixed") throws -> Profile {
    try Profile.parse(yaml: qualityTestYAML(ladder: ladder), file: "quality-test.yaml", name: "quality-test")
}

func qualityTestYAML(ladder: String = "fixed") -> String {
    """
        fragment_duration: 2
        ladder: \(ladder)
        video:
          preset: veryfast
          maxrate_factor: 1.5
          bufsize_factor: 2
          rungs:
            - { height: 360, bitrate: 1200k }
            - { height: 270, bitrate: 700k }
            - { height: 180, bitrate: 300k }
        audio: { bitrate: 96k }
        """
}

/// One encode of a testmedia clip with quality measurement, shared by the quality and report tests.
actor MeasuredEncode {
    static let shared = MeasuredEncode()
    private var result: (out: URL, presentation: Presentation)?

    func get() async throws -> (out: URL, presentation: Presentation) {
        if let result { return result }
        let out = try TestPaths.temporaryDirectory("quality")
        var options = PackagerOptions()
        options.measureQuality = true
        options.vmaf = false   // VMAF has its own test
        let p = try await Packager(profile: .profile(try qualityTestProfile()), options: options)
            .encode(source: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")), into: out)
        result = (out, p)
        return (out, p)
    }
}

/// `ffmpeg -lavfi psnr,ssim` summary of `distorted` against `source` at the rung's size (the same scaler
/// flags the pipeline uses): (PSNR-Y, PSNR average, SSIM Y, SSIM All).
func ffmpegScores(distorted: String, source: String, width: Int, height: Int) throws -> (Double, Double, Double, Double) {
    let graph = "[1:v]setpts=PTS-STARTPTS,fps=25,scale=\(width):\(height):flags=bicubic,format=yuv420p,split[r1][r2];"
        + "[0:v]setpts=PTS-STARTPTS,format=yuv420p,split[d1][d2];[d1][r1]psnr[o1];[d2][r2]ssim[o2]"
    let r = try External.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", distorted, "-i", source, "-filter_complex", graph,
                              "-map", "[o1]", "-f", "null", "-", "-map", "[o2]", "-f", "null", "-"])
    guard r.status == 0 else { throw ExternalToolError(message: "ffmpeg failed: \(r.stderr)") }
    func number(after key: String, in line: Substring) -> Double? {
        guard let range = line.range(of: key) else { return nil }
        return Double(line[range.upperBound...].prefix { "0123456789.-inf".contains($0) })
    }
    let lines = r.stderr.split(separator: "\n")
    guard let psnr = lines.first(where: { $0.contains("PSNR y:") }), let ssim = lines.first(where: { $0.contains("SSIM Y:") }),
          let py = number(after: "PSNR y:", in: psnr), let pa = number(after: "average:", in: psnr),
          let sy = number(after: "SSIM Y:", in: ssim), let sa = number(after: "All:", in: ssim) else {
        throw ExternalToolError(message: "no PSNR/SSIM summary in: \(r.stderr.suffix(800))")
    }
    return (py, pa, sy, sa)
}

@Suite(.serialized) struct QualityTests {
    @Test func scoresAgreeWithFFmpegFilters() async throws {
        let (_, p) = try await MeasuredEncode.shared.get()
        let quality = try #require(p.quality)
        #expect(quality.metrics.starts(with: ["psnr", "ssim"]))
        #expect(quality.rungs.map(\.rung) == ["360p", "270p", "180p"])
        let source = TestPaths.testMedia("bars-25fps-stereo.mp4")
        for (rung, output) in zip(quality.rungs, p.renditions.filter { $0.kind == .video }) {
            #expect(rung.frames == 150)
            #expect(rung.framePSNRY.count == 150 && rung.fragments.count == 3)
            let ours = (rung.psnrY, rung.psnrAverage, rung.ssimY, rung.ssimAll)
            let theirs = try ffmpegScores(distorted: p.directory.appendingPathComponent(output.file).path, source: source,
                                          width: rung.width, height: rung.height)
            #expect(abs(ours.0 - theirs.0) <= 0.05, "\(rung.rung) PSNR-Y ours \(ours.0) ffmpeg \(theirs.0)")
            #expect(abs(ours.1 - theirs.1) <= 0.05, "\(rung.rung) PSNR avg ours \(ours.1) ffmpeg \(theirs.1)")
            #expect(abs(ours.2 - theirs.2) <= 0.001, "\(rung.rung) SSIM Y ours \(ours.2) ffmpeg \(theirs.2)")
            #expect(abs(ours.3 - theirs.3) <= 0.001, "\(rung.rung) SSIM ours \(ours.3) ffmpeg \(theirs.3)")
            // The summary is consistent with its own frames.
            #expect(rung.psnrYWorst <= rung.psnrYP1 && rung.psnrYP1 <= rung.psnrY + 0.01)
            #expect(rung.ssimWorst <= rung.ssimP1 && rung.ssimP1 <= rung.ssimAll + 1e-9)
            #expect(rung.fragments.contains { $0.index == rung.worstFragment })
        }
        // quality.json in the folder, with the same figures; not in the upload manifest.
        let file = p.directory.appendingPathComponent("quality.json")
        let decoded = try JSONDecoder().decode(QualityReport.self, from: Data(contentsOf: file))
        #expect(decoded == quality)
        #expect(decoded.schema == "smoothpack-quality/1")
        #expect(!p.uploadManifest.objects.contains { $0.key.hasSuffix("quality.json") || $0.key.hasSuffix("report.html") })
    }

    @Test func measuringDoesNotChangeTheMedia() async throws {
        let (_, measured) = try await MeasuredEncode.shared.get()
        let out = try TestPaths.temporaryDirectory("quality-off")
        defer { try? FileManager.default.removeItem(at: out) }
        let plain = try await Packager(profile: .profile(try qualityTestProfile()))
            .encode(source: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")), into: out)
        #expect(plain.quality == nil)
        #expect(!FileManager.default.fileExists(atPath: plain.directory.appendingPathComponent("quality.json").path))
        #expect(plain.renditions.map(\.file) == measured.renditions.map(\.file))
        for r in plain.renditions {
            let a = try Data(contentsOf: plain.directory.appendingPathComponent(r.file))
            let b = try Data(contentsOf: measured.directory.appendingPathComponent(r.file))
            let same = a == b
            #expect(same, "\(r.file) differs with --quality")
        }
    }

    @Test func vmafWithTheWheelsFFmpeg() async throws {
        // The scorer scripts/bootstrap installs (imageio-ffmpeg); a test of the external path end to end.
        let found = VMAFScorer.locate(explicit: nil)
        let scorer = try #require(found.scorer, "no FFmpeg with libvmaf: \(found.note ?? "") (run scripts/bootstrap)")
        let out = try TestPaths.temporaryDirectory("vmaf")
        defer { try? FileManager.default.removeItem(at: out) }
        var options = PackagerOptions()
        options.measureQuality = true
        options.vmafFFmpeg = scorer.ffmpeg
        let yaml = "video:\n  preset: ultrafast\n  rungs: [{ height: 180, bitrate: 300k }]\n"
        let p = try await Packager(profile: .profile(try Profile.parse(yaml: yaml, file: "v.yaml", name: "v")), options: options)
            .encode(source: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")), into: out)
        let q = try #require(p.quality)
        #expect(q.metrics == ["psnr", "ssim", "vmaf"])
        let vmaf = try #require(q.rungs.first?.vmaf)
        #expect(vmaf.framesScored == 30)   // 150 frames, every 5th
        #expect(vmaf.mean > 20 && vmaf.mean <= 100 && vmaf.minimum <= vmaf.p1 && vmaf.p1 <= vmaf.mean)
        #expect(vmaf.fragments.count == 3 && vmaf.fragments.allSatisfy { $0 != nil })
        // A named binary without libvmaf is reported, not used.
        let none = VMAFScorer.locate(explicit: "/usr/bin/ffmpeg")
        #expect(none.scorer == nil && none.note?.contains("libvmaf") == true)
    }
}
