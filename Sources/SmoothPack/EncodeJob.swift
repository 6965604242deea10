internal import FFmpeg
internal import Foundation
internal import ISOBMFF
internal import MediaCore
internal import Planning
internal import SmoothManifest
internal import Transcode

/// One source through every stage: hash → probe → plan → transcode + mux → describe → check → publish.
/// Blocking; ``Packager`` runs it on a thread of its own.
struct EncodeJob {
    let source: URL
    let out: OutputFolder
    let profile: Profile
    let options: PackagerOptions
    let emit: @Sendable (PackagerEvent) -> Void
    let isCancelled: @Sendable () -> Bool

    func run() throws -> Presentation {
        let path = source.path
        let stem = Naming.stem(for: source)

        // The size cap is checked before the source is read at all (hashing reads every byte).
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        if size > options.limits.maxFileSize {
            throw PipelineError(source: path, stage: .read,
                                message: "file is \(size) bytes, over the \(options.limits.maxFileSize)-byte limit")
        }
        let captionFiles: [CaptionDiscovery.Found]
        do {
            let discovered = try CaptionDiscovery.inputs(for: source, options: options.captions)
            captionFiles = discovered.found
            for note in discovered.notes { emit(.note(source: source, note)) }
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .read)
        }
        emit(.phase(source: source, .hashing))
        let version: String
        do {
            version = try PresentationVersion.compute(source: source, profile: profile, options: options,
                                                      captions: captionFiles)
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .read)
        }
        if out.isPublished(stem, version) {
            return try reusePublished(stem: stem, version: version)
        }

        emit(.phase(source: source, .probing))
        let info: SourceInfo
        do { info = try Probe.probe(path: path) } catch { throw PipelineError.wrap(error, source: path, stage: .probe) }
        if let still = SourceScanner.stillImageFormat(info) {
            throw PipelineError(source: path, stage: .probe, message: "a still image (\(still)), not a video")
        }
        if let refusal = Self.limitViolation(info, options.limits) {
            throw PipelineError(source: path, stage: .probe, message: refusal)
        }
        var plan: LadderPlan
        do { plan = try LadderPlanner.plan(source: info, profile: profile) } catch {
            throw PipelineError.wrap(error, source: path, stage: .plan)
        }
        let decision: PerTitleDecision?
        (plan, decision) = try perTitlePlan(plan, info: info)
        for note in plan.notes { emit(.note(source: source, note)) }
        // Caption files are read before any encoding: a refused one fails the source now, not after the encode.
        var captions = try CaptionTracks.read(captionFiles, source: path, optional: options.captions.optional) {
            emit(.note(source: source, $0))
        }
        let embedded: (found: [PendingCaption], notCarried: [CaptionNotCarried])
        do { embedded = try EmbeddedCaptions.read(path: path, info: info) } catch {
            throw PipelineError.wrap(error, source: path, stage: .probe)
        }
        captions = embedded.found + captions
        for n in embedded.notCarried {
            emit(.note(source: source, "subtitle stream \(n.input) (\(n.codec)) not carried: \(n.reason)"))
        }
        for other in info.otherStreams where other.type != "subtitle" {
            let what = ["unknown", "none"].contains(other.codec) ? "could not be identified" : "is not audio or video"
            emit(.note(source: source, "stream #\(other.index) (\(other.type), \(other.codec)) \(what): left out"))
        }

        let phase: (PackagerEvent.Phase) -> Void = { emit(.phase(source: source, $0)) }
        return try out.build(stem: stem, version: version, options: options, source: path, emit: phase) { work in
            var p = try build(stem: stem, version: version, plan: plan, captions: captions, work: work, info: info,
                              decision: decision)
            p.captionsNotCarried = embedded.notCarried
            return p
        }
    }

    /// Runs `transcoder` into the sinks `makeSink` opens, reporting its progress as this source's events; a
    /// failure other than cancellation becomes an encode-stage error naming the source.
    func transcode(_ transcoder: LadderTranscoder, sinks makeSink: (Rendition) throws -> any RenditionSink) throws {
        let (source, emit) = (self.source, self.emit)
        do {
            _ = try transcoder.run(sinks: makeSink, progress: { p in
                emit(.progress(source: source, fraction: p.fraction, framesPerSecond: p.framesPerSecond,
                               mediaTime: p.mediaTime))
            })
        } catch let error as CancellationError {
            throw error
        } catch {
            throw PipelineError.wrap(error, source: source.path, stage: .encode)
        }
    }

    /// Encodes and describes the presentation inside `work`.
    private func build(stem: String, version: String, plan: LadderPlan, captions: [PendingCaption],
                       work: URL, info: SourceInfo, decision: PerTitleDecision?) throws -> Presentation {
        let path = source.path
        emit(.phase(source: source, .encoding))
        let transcoder = LadderTranscoder(sourcePath: path, plan: plan)
        transcoder.isCancelled = isCancelled
        transcoder.measureQuality = profile.measureQuality
        transcoder.thumbnailInterval = ReportPage.thumbnailInterval(duration: info.duration)
        var sinks: [(Rendition, MuxingSink)] = []
        try transcode(transcoder) { rendition in
            let sink = try muxingSink(for: rendition, stem: stem, version: version, work: work)
            sinks.append((rendition, sink))
            return sink
        }

        let written = try writtenTracks(sinks, stem: stem, work: work)
        let text: CaptionTracks.Written
        do {
            let grid = (written.first { $0.kind == .video } ?? written.first)?.index.fragments ?? []
            text = try CaptionTracks.write(captions, grid: grid, stem: stem, work: work) { emit(.note(source: source, $0)) }
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .package)
        }
        emit(.phase(source: source, .describing))
        let extras = try ReportExtras(job: self, stem: stem, version: version, plan: plan, info: info, decision: decision,
                                      written: written, measurements: transcoder.measurements, work: work)
        if options.publishReport { try extras.write(to: work) }
        var presentation = try PresentationAssembler.describe(work: work, stem: stem, version: version, tracks: written,
                                                              text: text,
                                                              options: options, source: self.source, out: out,
                                                              onCheck: { emit(.phase(source: source, .checking)) })
        if !options.publishReport { try extras.write(to: work) }
        presentation.quality = extras.quality
        presentation.perTitle = decision
        return presentation
    }

    /// The muxer of one rendition's file in `work` (name, track ID, fragmentation, encryption).
    func muxingSink(for rendition: Rendition, stem: String, version: String, work: URL) throws -> MuxingSink {
        switch rendition {
        case .video(_, let rung):
            let file = Naming.videoFile(stem, bitrate: rung.encoding.bitrate)
            return MuxingSink(path: work.appendingPathComponent(file).path,
                              trackID: 1, policy: .video(minimumDuration: 0),
                              protector: try ProtectedOutput.encryptor(options, video: true, version: version, file: file))
        case .audio(_, let track):
            let file = Naming.audioFile(stem, trackName: track.trackName, bitrate: track.bitrate)
            return MuxingSink(path: work.appendingPathComponent(file).path,
                              trackID: 2, policy: .audio(framesPerFragment: track.framesPerFragment),
                              protector: try ProtectedOutput.encryptor(options, video: false, version: version, file: file))
        }
    }

    /// The media files `sinks` wrote, as the Describe stage takes them: a stream that decoded to nothing is
    /// left out with a note when it is audio, and fails the source when it is video (or when nothing was
    /// written at all); CRF rungs are renamed to their produced bitrate. Shared by the whole encode and the
    /// join of a split one.
    func writtenTracks(_ sinks: [(Rendition, MuxingSink)], stem: String, work: URL) throws -> [WrittenTrack] {
        let path = source.path
        // A stream that decodes to nothing: an empty audio track is left out with a note; empty video,
        // or nothing at all, fails the source with that reason.
        let empty = sinks.filter { $0.1.sampleCount == 0 }
        if empty.contains(where: { $0.0.isVideo }) {
            throw PipelineError(source: path, stage: .encode, message: "the video stream has no decodable frames")
        }
        if empty.count == sinks.count {
            throw PipelineError(source: path, stage: .encode, message: "no decodable audio or video samples")
        }
        for (rendition, _) in empty {
            emit(.note(source: source, "\(rendition.label): the audio stream has no decodable samples; left out"))
        }
        let declared = try declareProducedBitrates(sinks.filter { $0.1.sampleCount > 0 }, stem: stem, work: work)
        var written: [WrittenTrack] = []
        for (rendition, sink) in sinks where sink.sampleCount > 0 {
            guard let index = sink.index else {
                throw PipelineError(source: path, stage: .package, message: "\(rendition.label) wrote no index")
            }
            var file = URL(fileURLWithPath: sink.path).lastPathComponent
            switch rendition {
            case .video(_, let rung):
                let bitrate = declared[sink.path]?.bitrate ?? rung.encoding.bitrate
                file = declared[sink.path]?.file ?? file
                written.append(WrittenTrack(kind: .video, bitrate: bitrate, file: file, trackName: nil, language: nil,
                                            width: rung.width, height: rung.height, index: index))
            case .audio(_, let track):
                written.append(WrittenTrack(kind: .audio, bitrate: track.bitrate, file: file, trackName: track.trackName,
                                            language: track.language, width: nil, height: nil, index: index))
            }
        }
        return written
    }

    /// Why a probed source exceeds the configured limits, or nil.
    static func limitViolation(_ info: SourceInfo, _ limits: SourceLimits) -> String? {
        if info.fileSize > limits.maxFileSize {
            return "file is \(info.fileSize) bytes, over the \(limits.maxFileSize)-byte limit"
        }
        let streams = info.videoStreams.count + info.audioStreams.count
        if streams > limits.maxStreams {
            return "\(streams) audio/video streams, over the limit of \(limits.maxStreams)"
        }
        if let v = info.primaryVideo, v.width > limits.maxWidth || v.height > limits.maxHeight {
            return "video is \(v.width)x\(v.height), over the \(limits.maxWidth)x\(limits.maxHeight) limit"
        }
        if let v = info.primaryVideo, v.width <= 0 || v.height <= 0 {
            return "video has no valid size (\(v.width)x\(v.height))"
        }
        if let d = info.duration, d > limits.maxDuration {
            return String(format: "duration %.0f s is over the %.0f s limit", d, limits.maxDuration)
        }
        return nil
    }

    private func reusePublished(stem: String, version: String) throws -> Presentation {
        do { return try out.reuse(stem: stem, version: version, source: source, options: options) } catch {
            throw PipelineError.wrap(error, source: source.path, stage: .read)
        }
    }
}
