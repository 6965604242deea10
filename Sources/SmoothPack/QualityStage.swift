internal import Foundation
internal import ISOBMFF
public import MediaCore
public import Planning
internal import FFmpeg
internal import Transcode

/// The per-title analysis as a library call: the fixed plan of `profile` for the source, then the
/// complexity probe and ``PerTitlePlanner``. Blocking (FFmpeg encodes); `probe --ladder per-title` and the
/// encode pipeline both use it.
public enum PerTitleAnalysis {
    public static func plan(sourcePath: String, info: SourceInfo, profile: Profile,
                            isCancelled: () -> Bool = { false }) throws -> (plan: LadderPlan, decision: PerTitleDecision?) {
        let fixed = try LadderPlanner.plan(source: info, profile: profile)
        guard profile.ladder == .perTitle, fixed.video != nil else { return (fixed, nil) }
        let measurement = try ComplexityProbe.measure(sourcePath: sourcePath, plan: fixed, settings: profile.perTitle,
                                                      isCancelled: isCancelled)
        let (plan, decision) = PerTitlePlanner.apply(fixed, measurement: measurement, settings: profile.perTitle)
        return (plan, decision)
    }
}

/// VMAF through an external FFmpeg built with libvmaf (the PyPI wheel `imageio-ffmpeg` ships one):
/// Debian's FFmpeg has no `libvmaf` filter. Every `subsample`-th frame is scored.
public struct VMAFScorer: Sendable, Equatable {
    public var ffmpeg: String
    public var subsample: Int
    public static let model = "vmaf_v0.6.1"

    public init(ffmpeg: String, subsample: Int = 5) {
        self.ffmpeg = ffmpeg
        self.subsample = max(1, subsample)
    }

    /// `path` when it names an FFmpeg with `libvmaf`; else `SMOOTHPACK_VMAF_FFMPEG`, else the binary of an
    /// installed `imageio-ffmpeg` (asked through `python3`); nil with the reason when none is usable.
    public static func locate(explicit path: String?) -> (scorer: VMAFScorer?, note: String?) {
        if let path {
            return hasVMAF(path) ? (VMAFScorer(ffmpeg: path), nil) : (nil, "\(path) has no libvmaf filter")
        }
        if let env = ProcessInfo.processInfo.environment["SMOOTHPACK_VMAF_FFMPEG"], !env.isEmpty {
            return hasVMAF(env) ? (VMAFScorer(ffmpeg: env), nil) : (nil, "SMOOTHPACK_VMAF_FFMPEG=\(env) has no libvmaf filter")
        }
        let found = run(["python3", "-c", "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"])
        let exe = found.output.trimmingCharacters(in: .whitespacesAndNewlines)
        if found.status == 0, !exe.isEmpty, hasVMAF(exe) { return (VMAFScorer(ffmpeg: exe), nil) }
        return (nil, "no FFmpeg with libvmaf found (pip install imageio-ffmpeg, or --vmaf-ffmpeg PATH)")
    }

    static func hasVMAF(_ path: String) -> Bool {
        let r = run([path, "-hide_banner", "-filters"])
        return r.status == 0 && r.output.contains(" libvmaf ")
    }

    /// Scores `distorted` (a rung file) against `source` brought to the rung's size the way the pipeline
    /// does it (deinterlace, constant frame rate, bicubic scale; the CLI applies the rotation itself).
    func score(distorted: URL, source: URL, width: Int, height: Int, video: VideoPlan, work: URL) throws -> VMAFScore {
        let log = work.appendingPathComponent(".vmaf-\(UUID().uuidString.prefix(8)).json")
        defer { try? FileManager.default.removeItem(at: log) }
        var ref = ["setpts=PTS-STARTPTS"]
        if video.deinterlace { ref.append("bwdif=mode=send_frame:parity=auto:deint=all") }
        ref += ["fps=\(video.frameRate.numerator)/\(video.frameRate.denominator)",
                "scale=\(width):\(height):flags=bicubic", "format=yuv420p"]
        let graph = "[1:v]\(ref.joined(separator: ","))[ref];[0:v]setpts=PTS-STARTPTS,format=yuv420p[dist];"
            + "[dist][ref]libvmaf=n_subsample=\(subsample):n_threads=1:log_fmt=json:log_path=\(log.path)"
        let r = Self.run([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", distorted.path, "-i", source.path,
                          "-filter_complex", graph, "-f", "null", "-"])
        guard r.status == 0 else {
            throw PipelineError(source: source.path, stage: .encode,
                                message: "VMAF scorer failed: \(r.output.split(separator: "\n").last ?? "exit \(r.status)")")
        }
        struct Log: Decodable {
            struct Frame: Decodable { var frameNum: Int; var metrics: [String: Double] }
            var frames: [Frame]
        }
        let parsed = try JSONDecoder().decode(Log.self, from: Data(contentsOf: log))
        let scored = parsed.frames.compactMap { f in f.metrics["vmaf"].map { (f.frameNum, $0) } }
        guard !scored.isEmpty else {
            throw PipelineError(source: source.path, stage: .encode, message: "VMAF scorer scored no frames")
        }
        let values = scored.map(\.1)
        var perFragment: [Int: [Double]] = [:]
        for (n, v) in scored { perFragment[n / max(1, video.framesPerFragment), default: []].append(v) }
        let count = (perFragment.keys.max() ?? 0) + 1
        let fragments: [Double?] = (0..<count).map { k in
            perFragment[k].map { ($0.reduce(0, +) / Double($0.count) * 100).rounded() / 100 }
        }
        return VMAFScore(mean: values.reduce(0, +) / Double(values.count), p1: QualityMath.percentile(values, 1) ?? 0,
                         minimum: values.min() ?? 0, framesScored: values.count, subsample: subsample,
                         model: Self.model, fragments: fragments)
    }

    /// Runs a tool and returns its exit status and output (stdout and stderr together); -1 and the reason when
    /// it cannot start. Through ``Platform/ChildProcess``, which cannot miss the tool's exit.
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        do {
            let r = try ChildProcess.run(arguments, mergeErrors: true)
            return (r.status, String(decoding: r.output, as: UTF8.self))
        } catch {
            return (-1, "\(error)")
        }
    }
}

extension EncodeJob {
    /// The plan after the per-title analysis when the profile asks for one.
    func perTitlePlan(_ fixed: LadderPlan, info: SourceInfo) throws -> (LadderPlan, PerTitleDecision?) {
        guard profile.ladder == .perTitle, fixed.video != nil else { return (fixed, nil) }
        emit(.note(source: source, "per-title: analysing complexity"))
        do {
            let measurement = try ComplexityProbe.measure(sourcePath: source.path, plan: fixed, settings: profile.perTitle,
                                                          isCancelled: isCancelled)
            let (plan, decision) = PerTitlePlanner.apply(fixed, measurement: measurement, settings: profile.perTitle)
            return (plan, decision)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw PipelineError.wrap(error, source: source.path, stage: .plan)
        }
    }

    /// Capped-CRF rungs declare the bitrate they produced (rounded up to 1 kb/s, unique in the ladder) and
    /// their files are renamed to it; other rungs keep their planned bitrate.
    static func declaredBitrates(_ entries: [(rung: VideoRung, bytes: Int64, duration: Int64)]) -> [Int] {
        var used = Set(entries.filter { $0.rung.encoding.crf == nil }.map(\.rung.encoding.bitrate))
        return entries.map { e in
            guard e.rung.encoding.crf != nil else { return e.rung.encoding.bitrate }
            return Naming.unique(Naming.producedBitrate(bytes: e.bytes, duration: e.duration), in: &used)
        }
    }

    /// quality.json from the in-process measurement plus VMAF when a scorer is found.
    func qualityReport(_ measured: [RungQuality], video: VideoPlan, files: [String: URL], work: URL) throws -> QualityReport {
        var rungs = measured
        var metrics = ["psnr", "ssim"]
        var note: String?
        let (scorer, why) = options.vmaf ? VMAFScorer.locate(explicit: options.vmafFFmpeg) : (nil, "turned off (--no-vmaf)")
        if let scorer {
            emit(.note(source: source, "quality: VMAF with \(scorer.ffmpeg) (every \(scorer.subsample)th frame)"))
            for i in rungs.indices {
                guard let file = files[rungs[i].rung] else { continue }
                if isCancelled() { throw CancellationError() }
                rungs[i].vmaf = try scorer.score(distorted: file, source: source, width: rungs[i].width,
                                                 height: rungs[i].height, video: video, work: work)
            }
            metrics.append("vmaf")
        } else {
            note = why
            if let why { emit(.note(source: source, "quality: VMAF not computed: \(why)")) }
        }
        return QualityReport(metrics: metrics,
                             reference: "the source after deinterlacing, rotation and frame-rate conversion, scaled to "
                                 + "each rung's size by that rung's own scaler (bicubic), compared with the rung as decoded",
                             vmafNote: note, framesPerFragment: video.framesPerFragment, rungs: rungs)
    }

    static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: url)
    }
}

extension EncodeJob {
    /// For capped-CRF rungs: the bitrate each produced (``declaredBitrates(_:)``), with its file renamed to
    /// carry it. Keyed by the sink's original path.
    func declareProducedBitrates(_ sinks: [(Rendition, MuxingSink)], stem: String,
                                 work: URL) throws -> [String: (bitrate: Int, file: String)] {
        var entries: [(rung: VideoRung, bytes: Int64, duration: Int64)] = []
        var paths: [String] = []
        for (rendition, sink) in sinks {
            guard case .video(_, let rung) = rendition, let index = sink.index else { continue }
            entries.append((rung, index.mediaBytes, index.duration))
            paths.append(sink.path)
        }
        var result: [String: (bitrate: Int, file: String)] = [:]
        var moves: [(from: URL, to: URL)] = []
        for (i, bitrate) in Self.declaredBitrates(entries).enumerated() where entries[i].rung.encoding.crf != nil {
            let file = Naming.videoFile(stem, bitrate: bitrate)
            // Through a hidden name first: a planned name may be another rung's declared name.
            let hidden = work.appendingPathComponent(".rename-\(i)-\(file)")
            moves.append((URL(fileURLWithPath: paths[i]), hidden))
            moves.append((hidden, work.appendingPathComponent(file)))
            result[paths[i]] = (bitrate, file)
        }
        let ordered = moves.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
            + moves.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        do { for m in ordered { try FileManager.default.moveItem(at: m.from, to: m.to) } } catch {
            throw PipelineError.wrap(error, source: source.path, stage: .package)
        }
        return result
    }
}
