internal import MediaCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a profile's video ladder is chosen.
public enum LadderMode: String, Sendable, Equatable, Codable, CaseIterable {
    /// The profile's rungs and bitrates as written.
    case fixed
    /// Bitrates per source from a complexity analysis, never above the profile's (``PerTitlePlanner``).
    case perTitle = "per-title"
}

/// The `per_title` section of a profile.
public struct PerTitleSettings: Sendable, Equatable, Codable {
    /// The quality target, as x264's constant rate factor (lower is better; 18 is near transparent), for the
    /// top rung.
    public var crf: Int
    /// CRF steps taken off per halving of a rung's height below the top rung's, rounded down
    /// (``PerTitlePlanner/crf(area:topArea:settings:)``): a small rung is scaled up on the viewer's screen, and
    /// its coding artefacts with it.
    public var crfStep: Double
    /// A capped-CRF rung must be at least this factor below the rung above it, or it is merged into it.
    public var mergeRatio: Double
    /// A rung whose estimate reaches this share of its ceiling keeps the profile's settings as written.
    public var nearCeiling: Double
    /// No rung is planned below this many bits per second.
    public var minimumBitrate: Int
    /// Segments sampled by the analysis, and each one's length in seconds.
    public var samples: Int
    public var sampleSeconds: Double

    public init(crf: Int = 21, crfStep: Double = 0.75, mergeRatio: Double = 1.4, nearCeiling: Double = 0.85, minimumBitrate: Int = 100_000,
                samples: Int = 4, sampleSeconds: Double = 2) {
        self.crf = crf
        self.crfStep = crfStep
        self.mergeRatio = mergeRatio
        self.nearCeiling = nearCeiling
        self.minimumBitrate = minimumBitrate
        self.samples = samples
        self.sampleSeconds = sampleSeconds
    }
}

/// What the analysis measured: the bits a CRF encode of sampled segments needed at a few small sizes.
public struct ComplexityMeasurement: Sendable, Equatable, Codable {
    public struct Point: Sendable, Equatable, Codable {
        public var width: Int
        public var height: Int
        /// Bits per second of the probe encodes at this size.
        public var bitsPerSecond: Double
        public init(width: Int, height: Int, bitsPerSecond: Double) {
            self.width = width
            self.height = height
            self.bitsPerSecond = bitsPerSecond
        }
    }
    public var crf: Int
    /// At least one point; two or more give the title's own resolution exponent.
    public var points: [Point]
    /// Seconds of source encoded, in how many segments, and the analysis wall time.
    public var sampledSeconds: Double
    public var segments: Int
    public var elapsed: Double

    public init(crf: Int, points: [Point], sampledSeconds: Double, segments: Int, elapsed: Double) {
        self.crf = crf
        self.points = points
        self.sampledSeconds = sampledSeconds
        self.segments = segments
        self.elapsed = elapsed
    }
}

/// The per-title choice for one rung of the profile's ladder.
public struct RungDecision: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable {
        /// The profile's own settings (the estimate reached the ceiling).
        case ceiling
        /// x264 CRF at the target, VBV-capped at a maxrate scaled to the estimate.
        case cappedCRF = "capped-crf"
        /// Left out: it would look like the rung above at about the same bitrate.
        case merged
    }
    public var name: String
    public var width: Int
    public var height: Int
    /// The profile's bitrate for the rung (the ceiling).
    public var ceiling: Int
    /// Bits per second the target needs at this size, from the measurement.
    public var estimate: Int
    /// The planned bitrate: min(estimate, ceiling) (the manifest declares what the encode produced).
    public var bitrate: Int
    public var maxrate: Int
    public var mode: Mode
    /// The rung it was merged into (mode merged).
    public var mergedInto: String?
    /// The rung's CRF (capped-crf; also what the estimate was made for).
    public var crf: Int?
}

/// The whole per-title decision: inputs, model, and one row per profile rung.
public struct PerTitleDecision: Sendable, Equatable, Codable {
    public var crf: Int
    /// Bits scale with pixels to this power (fitted from the measurement, clamped).
    public var exponent: Double
    public var measurement: ComplexityMeasurement
    public var rungs: [RungDecision]
    /// Sum of planned bitrates over the ceilings' sum (1 = the fixed ladder).
    public var plannedShareOfFixed: Double
    public var notes: [String]
}

/// Per-title ladder rules. Pure: given a fixed plan and a measurement, the rungs to encode.
///
/// - The title's bits at the target scale with picture area to the power `exponent`, fitted between the two
///   largest probe sizes (clamped to 0.5…1; 0.75 with one point). A rung's estimate is the largest probe's
///   bits per second scaled to the rung's area, rounded up to 1 kb/s, at least ``PerTitleSettings/minimumBitrate``.
/// - A rung's CRF is ``PerTitleSettings/crf`` less ``PerTitleSettings/crfStep`` per halving of its height below
///   the top rung's, rounded down; its estimate is raised by 2^(1/6) per step.
/// - A rung whose estimate reaches ``PerTitleSettings/nearCeiling`` of its profile bitrate keeps the
///   profile's settings exactly (hard content gets the fixed ladder). Otherwise it is encoded capped-CRF: CRF
///   at the rung's, bitrate = the estimate, maxrate keeping the profile rung's maxrate/bitrate ratio but never
///   above the profile rung's (average) bitrate, so the rung never averages more than the fixed one; bufsize
///   keeps the profile's bufsize/maxrate ratio.
/// - A capped-CRF rung less than ``PerTitleSettings/mergeRatio`` below the rung kept above it is merged into
///   it (left out): a player would gain nothing by switching to it. Rungs at the ceiling are never merged.
/// - Planned bitrates stay unique (a collision steps the lower one down by 1 kb/s).
public enum PerTitlePlanner {
    public static let defaultExponent = 0.75
    public static let exponentRange = 0.5...1.0

    /// The fitted exponent for a measurement.
    public static func exponent(_ m: ComplexityMeasurement) -> Double {
        let pts = m.points.filter { $0.bitsPerSecond > 0 && $0.width > 0 && $0.height > 0 }
            .sorted { $0.width * $0.height < $1.width * $1.height }
        guard pts.count >= 2 else { return defaultExponent }
        let (a, b) = (pts[pts.count - 2], pts[pts.count - 1])
        let areaRatio = Double(b.width * b.height) / Double(a.width * a.height)
        guard areaRatio > 1.01 else { return defaultExponent }
        let e = log(b.bitsPerSecond / a.bitsPerSecond) / log(areaRatio)
        guard e.isFinite else { return defaultExponent }
        return min(exponentRange.upperBound, max(exponentRange.lowerBound, e))
    }

    /// The CRF of a rung of `area` pixels under a top rung of `topArea`: ``PerTitleSettings/crf`` less
    /// ``PerTitleSettings/crfStep`` per halving of the picture's height (half its area's log2), rounded down.
    public static func crf(area: Int, topArea: Int, settings: PerTitleSettings) -> Int {
        guard area > 0, topArea > area, settings.crfStep > 0 else { return settings.crf }
        let halvings = 0.5 * log2(Double(topArea) / Double(area))
        return max(0, settings.crf - Int((settings.crfStep * halvings + 1e-9).rounded(.down)))
    }

    /// Bits per second the target needs at `width`x`height`, encoded at `crf` (default: the measured CRF).
    /// Each CRF step below the measured one costs 2^(1/6) more bits (x264's rate factor: 6 steps double it).
    public static func estimate(_ m: ComplexityMeasurement, width: Int, height: Int, crf: Int? = nil,
                                settings: PerTitleSettings) -> Int {
        guard let top = m.points.max(by: { $0.width * $0.height < $1.width * $1.height }), top.width * top.height > 0 else {
            return settings.minimumBitrate
        }
        let steps = Double(m.crf - (crf ?? m.crf))
        let bps = top.bitsPerSecond * pow(2, steps / 6)
            * pow(Double(width * height) / Double(top.width * top.height), exponent(m))
        let kbps = (max(0, bps) / 1000).rounded(.up)
        return max(settings.minimumBitrate, Int(kbps) * 1000)
    }

    /// The per-title plan for `plan` (a fixed plan from ``LadderPlanner``), and the decision to report.
    public static func apply(_ plan: LadderPlan, measurement m: ComplexityMeasurement,
                             settings: PerTitleSettings) -> (plan: LadderPlan, decision: PerTitleDecision) {
        var result = plan
        var rows: [RungDecision] = []
        var notes: [String] = []
        let exp = exponent(m)
        guard let video = plan.video else {
            return (plan, PerTitleDecision(crf: settings.crf, exponent: exp, measurement: m, rungs: [],
                                           plannedShareOfFixed: 1, notes: ["no video: nothing to decide"]))
        }
        var kept: [VideoRung] = []
        var used = Set<Int>()
        let topArea = video.rungs.map { $0.width * $0.height }.max() ?? 0
        for rung in video.rungs {
            let ceiling = rung.encoding
            let rungCRF = crf(area: rung.width * rung.height, topArea: topArea, settings: settings)
            let est = estimate(m, width: rung.width, height: rung.height, crf: rungCRF, settings: settings)
            if Double(est) >= settings.nearCeiling * Double(ceiling.bitrate) {
                rows.append(RungDecision(name: rung.name, width: rung.width, height: rung.height, ceiling: ceiling.bitrate,
                                         estimate: est, bitrate: ceiling.bitrate, maxrate: ceiling.maxrate, mode: .ceiling))
                notes.append("\(rung.name): needs ~\(est / 1000) kb/s, at or near the ceiling \(ceiling.bitrate / 1000) kb/s: kept as in the profile")
                kept.append(rung)
                used.insert(ceiling.bitrate)
                continue
            }
            if let above = kept.last, Double(est) * settings.mergeRatio > Double(above.encoding.bitrate) {
                rows.append(RungDecision(name: rung.name, width: rung.width, height: rung.height, ceiling: ceiling.bitrate,
                                         estimate: est, bitrate: 0, maxrate: 0, mode: .merged, mergedInto: above.name))
                notes.append("\(rung.name): merged into \(above.name) (~\(est / 1000) kb/s is less than \(settings.mergeRatio)x below \(above.encoding.bitrate / 1000) kb/s)")
                continue
            }
            var bitrate = est
            while used.contains(bitrate) { bitrate -= 1000 }
            used.insert(bitrate)
            var e = ceiling
            // The VBV cap keeps the profile rung's peak ratio around the estimate, but never rises above the
            // ceiling's average: an underestimate then cannot make a capped-CRF rung cost more than the fixed one.
            let maxrate = min(ceiling.bitrate, Int((Double(bitrate) * Double(ceiling.maxrate) / Double(ceiling.bitrate)).rounded()))
            let bufsize = Int((Double(maxrate) * Double(ceiling.bufsize) / Double(ceiling.maxrate)).rounded())
            (e.bitrate, e.maxrate, e.bufsize, e.crf) = (bitrate, maxrate, bufsize, rungCRF)
            kept.append(VideoRung(name: rung.name, width: rung.width, height: rung.height, encoding: e))
            rows.append(RungDecision(name: rung.name, width: rung.width, height: rung.height, ceiling: ceiling.bitrate,
                                     estimate: est, bitrate: bitrate, maxrate: maxrate, mode: .cappedCRF, crf: rungCRF))
            notes.append("\(rung.name): capped CRF \(rungCRF), ~\(bitrate / 1000) kb/s of \(ceiling.bitrate / 1000) kb/s (max \(maxrate / 1000))")
        }
        result.video?.rungs = kept
        let fixedSum = video.rungs.reduce(0) { $0 + $1.encoding.bitrate }
        let plannedSum = kept.reduce(0) { $0 + $1.encoding.bitrate }
        let share = fixedSum > 0 ? Double(plannedSum) / Double(fixedSum) : 1
        let step = settings.crfStep > 0 ? " (\(settings.crfStep) less per halving of the height)" : ""
        result.notes += ["per-title: CRF \(settings.crf)\(step), bits ∝ area^\((exp * 100).rounded() / 100), "
                         + "\(kept.count) of \(video.rungs.count) rungs, planned \(Int((share * 100).rounded())) % of the fixed ladder's bitrate"]
            + notes
        return (result, PerTitleDecision(crf: settings.crf, exponent: exp, measurement: m, rungs: rows,
                                         plannedShareOfFixed: share, notes: notes))
    }
}
