#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scores of one output frame against its reference (the source frame scaled to the rung's size by
/// the rung's own scaler), as libavfilter's `psnr` and `ssim` filters compute them.
public struct FrameScores: Sendable, Equatable {
    /// Output frame number on the rendition timeline (0, 1, 2…).
    public var index: Int64
    /// Mean squared error of the luma plane (8-bit code values).
    public var mseY: Double
    /// Plane-size weighted mean squared error over Y, U and V (`psnr`'s `mse_avg`).
    public var mseAverage: Double
    /// SSIM of the luma plane.
    public var ssimY: Double
    /// Plane-weighted SSIM over Y, U and V (`ssim`'s `All`).
    public var ssimAll: Double

    public init(index: Int64, mseY: Double, mseAverage: Double, ssimY: Double, ssimAll: Double) {
        self.index = index
        self.mseY = mseY
        self.mseAverage = mseAverage
        self.ssimY = ssimY
        self.ssimAll = ssimAll
    }

    public var psnrY: Double { QualityMath.psnr(mse: mseY) }
    public var psnrAverage: Double { QualityMath.psnr(mse: mseAverage) }
}

/// PSNR and percentile arithmetic shared by the measurement, the report and the tests.
public enum QualityMath {
    /// PSNR cap for identical pictures (MSE 0): JSON has no infinity, and 100 dB is far past visible.
    public static let maximumPSNR = 100.0

    /// `10·log10(255² / mse)` for 8-bit video, capped at ``maximumPSNR``.
    public static func psnr(mse: Double) -> Double {
        guard mse > 0 else { return maximumPSNR }
        return min(maximumPSNR, 10 * log10(255.0 * 255.0 / mse))
    }

    /// The p-th percentile (0…100) by the nearest-rank method on sorted values; nil for none.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// VMAF of one rung from an external scorer, on every `subsample`-th frame.
public struct VMAFScore: Sendable, Equatable, Codable {
    public var mean: Double
    /// 1st percentile of the scored frames (nearest rank).
    public var p1: Double
    public var minimum: Double
    public var framesScored: Int
    /// Every n-th frame was scored.
    public var subsample: Int
    /// The VMAF model (e.g. `vmaf_v0.6.1`).
    public var model: String
    /// Mean VMAF per fragment (the frames scored in it); nil where no frame of a fragment was scored.
    public var fragments: [Double?]

    public init(mean: Double, p1: Double, minimum: Double, framesScored: Int, subsample: Int, model: String,
                fragments: [Double?]) {
        self.mean = mean
        self.p1 = p1
        self.minimum = minimum
        self.framesScored = framesScored
        self.subsample = subsample
        self.model = model
        self.fragments = fragments
    }
}

/// One fragment's quality: the mean over its frames.
public struct FragmentQuality: Sendable, Equatable, Codable {
    public var index: Int
    /// PSNR of the fragment's mean luma MSE, dB.
    public var psnrY: Double
    /// Mean SSIM (All) of the fragment's frames.
    public var ssim: Double
}

/// Quality of one video rung: per-frame figures and their summary.
public struct RungQuality: Sendable, Equatable, Codable {
    public var rung: String
    public var width: Int
    public var height: Int
    public var frames: Int
    /// PSNR of the mean luma MSE over all frames (as `ffmpeg -lavfi psnr` summarises), dB.
    public var psnrY: Double
    /// PSNR of the mean plane-weighted MSE (ffmpeg's `average`), dB.
    public var psnrAverage: Double
    /// 1st percentile of per-frame PSNR-Y (nearest rank), dB.
    public var psnrYP1: Double
    /// The worst frame's PSNR-Y and its number.
    public var psnrYWorst: Double
    public var worstFrame: Int64
    /// Mean per-frame SSIM: luma and All (as `ffmpeg -lavfi ssim` summarises).
    public var ssimY: Double
    public var ssimAll: Double
    /// 1st percentile and minimum of per-frame SSIM (All).
    public var ssimP1: Double
    public var ssimWorst: Double
    /// The fragment with the lowest PSNR-Y.
    public var worstFragment: Int
    public var fragments: [FragmentQuality]
    /// Per-frame PSNR-Y (dB, two decimals) and SSIM All (four decimals), in frame order.
    public var framePSNRY: [Double]
    public var frameSSIM: [Double]
    /// Filled by the external VMAF scorer, when one ran.
    public var vmaf: VMAFScore?

    /// Summarises per-frame scores in frame order; nil when there are none.
    public init?(rung: String, width: Int, height: Int, frames: [FrameScores], framesPerFragment: Int) {
        guard !frames.isEmpty else { return nil }
        let n = Double(frames.count)
        self.rung = rung
        self.width = width
        self.height = height
        self.frames = frames.count
        psnrY = QualityMath.psnr(mse: frames.reduce(0) { $0 + $1.mseY } / n)
        psnrAverage = QualityMath.psnr(mse: frames.reduce(0) { $0 + $1.mseAverage } / n)
        let perFrame = frames.map(\.psnrY)
        psnrYP1 = QualityMath.percentile(perFrame, 1) ?? 0
        let worst = frames.min { $0.psnrY < $1.psnrY } ?? frames[0]
        psnrYWorst = worst.psnrY
        worstFrame = worst.index
        ssimY = frames.reduce(0) { $0 + $1.ssimY } / n
        ssimAll = frames.reduce(0) { $0 + $1.ssimAll } / n
        ssimP1 = QualityMath.percentile(frames.map(\.ssimAll), 1) ?? 0
        ssimWorst = frames.map(\.ssimAll).min() ?? 0
        let per = max(1, framesPerFragment)
        var groups: [Int: (mse: Double, ssim: Double, count: Int)] = [:]
        for f in frames {
            let k = Int(f.index / Int64(per))
            let g = groups[k] ?? (0, 0, 0)
            groups[k] = (g.mse + f.mseY, g.ssim + f.ssimAll, g.count + 1)
        }
        fragments = groups.keys.sorted().map { k in
            let g = groups[k]!
            return FragmentQuality(index: k, psnrY: QualityMath.psnr(mse: g.mse / Double(g.count)),
                                   ssim: g.ssim / Double(g.count))
        }
        worstFragment = fragments.min { $0.psnrY < $1.psnrY }?.index ?? 0
        framePSNRY = perFrame.map { ($0 * 100).rounded() / 100 }
        frameSSIM = frames.map { ($0.ssimAll * 10000).rounded() / 10000 }
        vmaf = nil
    }
}

/// `quality.json`: every video rung's quality against the source (docs/quality.md).
public struct QualityReport: Sendable, Equatable, Codable {
    public static let schema = "smoothpack-quality/1"
    public static let fileName = "quality.json"
    public var schema: String = QualityReport.schema
    /// The metrics computed: `psnr`, `ssim`, and `vmaf` when an external scorer ran.
    public var metrics: [String]
    /// How the reference was made.
    public var reference: String
    /// Why VMAF is missing, when it is.
    public var vmafNote: String?
    public var framesPerFragment: Int
    public var rungs: [RungQuality]

    public init(metrics: [String], reference: String, vmafNote: String?, framesPerFragment: Int, rungs: [RungQuality]) {
        self.metrics = metrics
        self.reference = reference
        self.vmafNote = vmafNote
        self.framesPerFragment = framesPerFragment
        self.rungs = rungs
    }
}
