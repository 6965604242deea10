import ArgumentParser
import Planning
import SmoothPack

/// `encode`'s quality, per-title and report options (docs/quality.md).
struct QualityOptions: ParsableArguments {
    @Flag(help: "Measure PSNR and SSIM of every video rung against the source while encoding (quality.json, --json, report.html); VMAF too when an FFmpeg with libvmaf is found.")
    var quality = false

    @Option(name: .customLong("vmaf-ffmpeg"), help: ArgumentHelp("FFmpeg with libvmaf used to score VMAF (implies --quality; default: SMOOTHPACK_VMAF_FFMPEG, else the imageio-ffmpeg wheel's binary).", valueName: "path"))
    var vmafFFmpeg: String?

    @Flag(name: .customLong("no-vmaf"), help: "Do not score VMAF even when an FFmpeg with libvmaf is found.")
    var noVMAF = false

    @Option(help: ArgumentHelp("fixed (the profile's bitrates) or per-title (bitrates from a complexity analysis, never above the profile's); default: the profile's `ladder` key.", valueName: "mode"))
    var ladder: String?

    @Flag(help: "List report.html and quality.json in upload-manifest.json, so publishing uploads them (default: they stay local).")
    var publishReport = false

    func validate() throws {
        if let ladder, LadderMode(rawValue: ladder) == nil { throw ValidationError("--ladder is fixed or per-title") }
    }
}

extension PackagerOptions {
    func applying(_ q: QualityOptions) -> PackagerOptions {
        var o = self
        if q.quality || q.vmafFFmpeg != nil { o.measureQuality = true }
        o.vmafFFmpeg = q.vmafFFmpeg
        o.vmaf = !q.noVMAF
        o.ladder = q.ladder.flatMap(LadderMode.init(rawValue:))
        o.publishReport = q.publishReport
        return o
    }
}
