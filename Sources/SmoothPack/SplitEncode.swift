public import Foundation
public import Planning
internal import FFmpeg
internal import ISOBMFF
internal import MediaCore
internal import Transcode

/// Output video frames `start ..< end` of a split encode (nil `end`: to the end of the source).
public struct ChunkSpan: Sendable, Equatable, Codable {
    public var start: Int64
    public var end: Int64?
}

/// One job of a split encode: a chunk of the video ladder, or the whole audio.
public enum SplitPart: Sendable, Hashable, Codable, CustomStringConvertible {
    case chunk(Int)
    case audio

    public var description: String {
        switch self {
        case .chunk(let k): return "chunk \(k)"
        case .audio: return "audio"
        }
    }
}

/// How a long source is split so that many machines encode it at once, and everything its parts and their
/// join need (it travels as JSON in the job queue). Chunks start on the fragment grid, so each opens with an
/// IDR exactly where a whole encode has one, and a join is invisible; the audio is one part (AAC priming would
/// make audio joins audible).
public struct SplitPlan: Sendable, Codable, Equatable {
    /// The presentation's stem and version: the version hashes the chunk length too (a different chunking
    /// is a different presentation).
    public var stem: String
    public var version: String
    public var chunkSeconds: Double
    /// The whole source's timeline origin in source seconds (every part places its samples by it).
    public var origin: Double
    public var plan: LadderPlan
    public var chunks: [ChunkSpan]
    /// libx264's instruction sets where the source was split: every chunk must be encoded with the same,
    /// or the presentation would not be a function of its version.
    public var encoder: String
    /// The source's probed duration in seconds.
    public var duration: Double

    /// Whether the plan has audio tracks (then one part encodes them all).
    public var hasAudio: Bool { !plan.audio.isEmpty }

    /// Every part: the chunks in order, then the audio (when the plan has any).
    public var parts: [SplitPart] {
        chunks.indices.map { SplitPart.chunk($0) } + (plan.audio.isEmpty ? [] : [.audio])
    }

    /// The files a part writes (one per video rung, or one per audio track), by name.
    public func files(of part: SplitPart) -> [String] {
        switch part {
        case .chunk(let k): return (plan.video?.rungs ?? []).indices.map { "chunk-\(k)-video-\($0).part" }
        case .audio: return plan.audio.indices.map { "audio-\($0).part" }
        }
    }

    /// Where chunk boundaries fall: `count` chunks of about equal length on the fragment grid of `fragments`
    /// fragments of `framesPerFragment` frames; the last is open-ended (it runs to the end of the source).
    static func spans(fragments: Int, count: Int, framesPerFragment: Int) -> [ChunkSpan] {
        var bounds: [Int64] = [0]
        for k in 1..<max(count, 1) {
            let b = Int64((Double(k * fragments) / Double(count)).rounded()) * Int64(framesPerFragment)
            if b > bounds[bounds.count - 1] { bounds.append(b) }
        }
        return bounds.enumerated().map { i, start in
            ChunkSpan(start: start, end: i + 1 < bounds.count ? bounds[i + 1] : nil)
        }
    }
}

extension Packager {
    /// The profile's `chunk_seconds`: queue workers split sources longer than about twice this (0: never).
    public var chunkSeconds: Double { profile.chunkSeconds }

    /// Decides whether `source` is split for encoding on several machines with chunks of about `chunkSeconds`
    /// (nil: the profile's `chunk_seconds`), and plans the split; nil when it is encoded whole (no video,
    /// not longer than about twice the chunk length, captions or quality measurement or a published report
    /// asked for: those stay with whole encodes, see docs/chunks.md). Reads the source (hash, probe, the first
    /// frames); a source ``encode(source:into:onEvent:)`` would refuse gives nil, so that encode reports why.
    public func splitPlan(source: URL, chunkSeconds: Double? = nil,
                          onEvent: @escaping @Sendable (PackagerEvent) -> Void = { _ in }) async throws -> SplitPlan? {
        let (source, profile, options) = (source.standardizedFileURL, profile, options)
        let seconds = chunkSeconds ?? profile.chunkSeconds
        return try await Blocking.run("split") { check in
            try SplitJob(job: EncodeJob(source: source, out: OutputFolder(root: source.deletingLastPathComponent()),
                                        profile: profile, options: options, emit: onEvent,
                                        isCancelled: { check.isCancelled })).plan(chunkSeconds: seconds)
        }
    }

    /// Encodes one part of a split encode into `folder` (the files ``SplitPlan/files(of:)`` names).
    public func encodePart(_ part: SplitPart, of split: SplitPlan, source: URL, into folder: URL,
                           onEvent: @escaping @Sendable (PackagerEvent) -> Void = { _ in }) async throws {
        let (source, profile, options) = (source.standardizedFileURL, profile, options)
        try await Blocking.run("part") { check in
            try SplitJob(job: EncodeJob(source: source, out: OutputFolder(root: folder), profile: profile,
                                        options: options, emit: onEvent, isCancelled: { check.isCancelled }))
                .encode(part, of: split, into: folder)
        }
    }

    /// Joins the parts of a split encode (every part's files in `parts`) with the muxer into
    /// `<outDir>/<stem>/<version>/`, described and checked as a whole encode is. `source` names the
    /// presentation's source in what is returned; it is not read.
    public func join(_ split: SplitPlan, parts: URL, source: URL, into outDir: URL,
                     onEvent: @escaping @Sendable (PackagerEvent) -> Void = { _ in }) async throws -> Presentation {
        let (source, profile, options) = (source.standardizedFileURL, profile, options)
        let out = OutputFolder(root: outDir.standardizedFileURL)
        return try await Blocking.run("join") { check in
            try SplitJob(job: EncodeJob(source: source, out: out, profile: profile, options: options, emit: onEvent,
                                        isCancelled: { check.isCancelled })).join(split, parts: parts)
        }
    }
}

/// The three steps of a split encode, on a thread that may block.
struct SplitJob {
    let job: EncodeJob
    var source: URL { job.source }

    func plan(chunkSeconds: Double) throws -> SplitPlan? {
        let path = source.path
        // Below 1 s (refused by the CLI and the profile parser; a library caller may still pass it) a chunk count
        // would be meaningless or overflow.
        guard chunkSeconds >= 1, chunkSeconds.isFinite, !job.profile.measureQuality, !job.options.publishReport else {
            return nil
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        if size > job.options.limits.maxFileSize { return nil }
        guard (try? CaptionDiscovery.inputs(for: source, options: job.options.captions).found.isEmpty) == true else {
            return nil
        }
        job.emit(.phase(source: source, .probing))
        guard let info = try? Probe.probe(path: path), SourceScanner.stillImageFormat(info) == nil,
              EncodeJob.limitViolation(info, job.options.limits) == nil,
              !info.otherStreams.contains(where: { $0.type == "subtitle" }),
              let duration = info.duration, duration > 2 * chunkSeconds,
              var plan = try? LadderPlanner.plan(source: info, profile: job.profile), plan.video != nil
        else { return nil }
        (plan, _) = try job.perTitlePlan(plan, info: info)
        guard let video = plan.video else { return nil }

        job.emit(.phase(source: source, .hashing))
        let version: String
        do {
            version = try PresentationVersion.compute(source: source, profile: job.profile, options: job.options,
                                                      chunkSeconds: chunkSeconds)
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .read)
        }
        let transcoder = LadderTranscoder(sourcePath: path, plan: plan)
        transcoder.isCancelled = job.isCancelled
        let origin: Double
        do { origin = try transcoder.timelineOrigin() } catch { throw PipelineError.wrap(error, source: path, stage: .encode) }
        let fragmentSeconds = video.fragmentDuration.doubleValue
        let fragments = Int((duration / fragmentSeconds).rounded(.up))
        let count = max(2, min(fragments, Int((duration / chunkSeconds).rounded())))
        return SplitPlan(stem: Naming.stem(for: source), version: version, chunkSeconds: chunkSeconds, origin: origin,
                         plan: plan, chunks: SplitPlan.spans(fragments: fragments, count: count,
                                                             framesPerFragment: video.framesPerFragment),
                         encoder: Encoder.machineDescription, duration: duration)
    }

    func encode(_ part: SplitPart, of split: SplitPlan, into folder: URL) throws {
        let path = source.path
        guard split.encoder == Encoder.machineDescription else {
            throw PipelineError(source: path, stage: .encode,
                                message: "this machine's libx264 (\(Encoder.machineDescription)) differs from the one "
                                + "the source was split on (\(split.encoder)): its chunks would not match")
        }
        var plan = split.plan
        let transcoder: LadderTranscoder
        switch part {
        case .chunk(let k):
            guard split.chunks.indices.contains(k) else {
                throw PipelineError(source: path, stage: .encode, message: "no chunk \(k) in a split of \(split.chunks.count)")
            }
            plan.audio = []
            transcoder = LadderTranscoder(sourcePath: path, plan: plan)
            transcoder.frames = FrameSpan(start: split.chunks[k].start, end: split.chunks[k].end)
        case .audio:
            plan.video = nil
            transcoder = LadderTranscoder(sourcePath: path, plan: plan)
        }
        transcoder.origin = split.origin
        transcoder.isCancelled = job.isCancelled
        let names = split.files(of: part)
        var next = 0
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .encode)
        }
        try job.transcode(transcoder) { _ in
            defer { next += 1 }
            return PartFile.Writer(path: folder.appendingPathComponent(names[next]).path)
        }
    }

    func join(_ split: SplitPlan, parts: URL) throws -> Presentation {
        let path = source.path
        let stem = split.stem
        let renditions = (split.plan.video?.rungs ?? []).enumerated().map { Rendition.video(index: $0.offset, rung: $0.element) }
            + split.plan.audio.enumerated().map { Rendition.audio(index: $0.offset, track: $0.element) }
        let phase: (PackagerEvent.Phase) -> Void = { job.emit(.phase(source: source, $0)) }
        return try job.out.build(stem: stem, version: split.version, options: job.options, source: path, emit: phase) { work in
            phase(.encoding)
            var sinks: [(Rendition, MuxingSink)] = []
            for rendition in renditions {
                let sink = try job.muxingSink(for: rendition, stem: stem, version: split.version, work: work)
                let files: [String]
                switch rendition {
                case .video(let r, _): files = split.chunks.indices.map { split.files(of: .chunk($0))[r] }
                case .audio(let t, _): files = [split.files(of: .audio)[t]]
                }
                try mux(files.map { parts.appendingPathComponent($0).path }, into: sink, label: rendition.label)
                sinks.append((rendition, sink))
            }
            if job.isCancelled() { throw CancellationError() }
            let written = try job.writtenTracks(sinks, stem: stem, work: work)
            phase(.describing)
            return try PresentationAssembler.describe(work: work, stem: stem, version: split.version, tracks: written,
                                                      options: job.options, source: source, out: job.out,
                                                      onCheck: { phase(.checking) })
        }
    }

    /// Feeds the samples of `files` (one rendition's parts, in order) to `sink`. The parts must share one codec
    /// configuration and follow each other without a gap or an overlap on the decode timeline, and each chunk
    /// must open with a sync sample: anything else is refused, never muxed.
    private func mux(_ files: [String], into sink: MuxingSink, label: String) throws {
        var expected: Int64 = 0
        var config: CodecConfig?
        for (k, file) in files.enumerated() {
            let reader = try PartFile.Reader(path: file)
            if let config, config != reader.config {
                throw PipelineError(source: source.path, stage: .package,
                                    message: "\(label): chunk \(k) has another codec configuration than chunk 0")
            }
            if config == nil {
                config = reader.config
                try sink.start(reader.config)
            }
            var first = true
            while let sample = try reader.next() {
                if job.isCancelled() { throw CancellationError() }
                guard sample.decodeTime == expected, !first || sample.isSync else {
                    throw PipelineError(source: source.path, stage: .package,
                                        message: "\(label): part \(k) does not continue the previous one (sample at "
                                        + "\(sample.decodeTime), expected \(expected)\(first && !sample.isSync ? ", not a sync sample" : ""))")
                }
                first = false
                let (end, overflow) = sample.decodeTime.addingReportingOverflow(sample.duration)
                guard sample.duration > 0, !overflow else {
                    throw PipelineError(source: source.path, stage: .package,
                                        message: "\(label): part \(k) has a sample of duration \(sample.duration)")
                }
                expected = end
                try sink.append(sample)
            }
        }
        try sink.finish()
    }
}
