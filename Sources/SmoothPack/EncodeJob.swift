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

        emit(.phase(source: source, .hashing))
        let version: String
        do { version = try PresentationVersion.compute(source: source, profile: profile, options: options) } catch {
            throw PipelineError.wrap(error, source: path, stage: .read)
        }
        if out.isPublished(stem, version) {
            return try existing(stem: stem, version: version)
        }

        emit(.phase(source: source, .probing))
        let info: SourceInfo
        do { info = try Probe.probe(path: path) } catch { throw PipelineError.wrap(error, source: path, stage: .probe) }
        let plan: LadderPlan
        do { plan = try LadderPlanner.plan(source: info, profile: profile) } catch {
            throw PipelineError.wrap(error, source: path, stage: .plan)
        }
        for note in plan.notes { emit(.note(source: source, note)) }

        out.removeStaleWorkFolders()
        let work: URL
        do { work = try out.makeWorkFolder() } catch { throw PipelineError.wrap(error, source: path, stage: .publish) }
        do {
            let presentation = try build(stem: stem, version: version, plan: plan, work: work)
            emit(.phase(source: source, .publishing))
            switch try out.publish(work, stem: stem, version: version) {
            case .published: break
            case .alreadyThere: return try existing(stem: stem, version: version)
            }
            try PolicyFiles.files(allowedDomains: options.allowedDomains).forEach { try out.writeRootFile($0.name, $0.contents) }
            return presentation
        } catch {
            try? FileManager.default.removeItem(at: work)
            if error is CancellationError { throw error }
            throw PipelineError.wrap(error, source: path, stage: (error as? PipelineError)?.stage ?? .publish)
        }
    }

    /// Encodes and describes the presentation inside `work`.
    private func build(stem: String, version: String, plan: LadderPlan, work: URL) throws -> Presentation {
        let path = source.path
        emit(.phase(source: source, .encoding))
        let transcoder = LadderTranscoder(sourcePath: path, plan: plan)
        transcoder.isCancelled = isCancelled
        var sinks: [(Rendition, MuxingSink)] = []
        let summary: TranscodeSummary
        do {
            let source = self.source
            let emit = self.emit
            summary = try transcoder.run(sinks: { rendition in
                let sink: MuxingSink
                switch rendition {
                case .video(_, let rung):
                    sink = MuxingSink(path: work.appendingPathComponent(Naming.videoFile(stem, bitrate: rung.bitrate)).path,
                                      trackID: 1, policy: .video(minimumDuration: 0))
                case .audio(_, let track):
                    sink = MuxingSink(path: work.appendingPathComponent(
                        Naming.audioFile(stem, trackName: track.trackName, bitrate: track.bitrate)).path,
                                      trackID: 2, policy: .audio(framesPerFragment: track.framesPerFragment))
                }
                sinks.append((rendition, sink))
                return sink
            }, progress: { p in
                emit(.progress(source: source, fraction: p.fraction, framesPerSecond: p.framesPerSecond,
                               mediaTime: p.mediaTime))
            })
        } catch let error as CancellationError {
            throw error
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .encode)
        }

        emit(.phase(source: source, .describing))
        var tracks: [ManifestTrack] = []
        var outputs: [RenditionOutput] = []
        for (rendition, sink) in sinks {
            guard let index = sink.index else {
                throw PipelineError(source: path, stage: .package, message: "\(rendition.label) wrote no index")
            }
            let file = URL(fileURLWithPath: sink.path).lastPathComponent
            let fragments = index.fragments.map { FragmentTiming(time: $0.time, duration: $0.duration) }
            let measured = index.duration > 0
                ? Int(Double(index.mediaBytes) * 8 * Double(Clock.timescale) / Double(index.duration)) : 0
            switch rendition {
            case .video(_, let rung):
                tracks.append(ManifestTrack(kind: .video, bitrate: rung.bitrate, source: file, trackID: Int(sink.trackID),
                                            codec: index.codec, fragments: fragments))
                outputs.append(RenditionOutput(kind: .video, file: file, bitrate: rung.bitrate, measuredBitrate: measured,
                                               width: rung.width, height: rung.height, trackName: "video", language: nil,
                                               fragments: index.fragments.count, bytes: index.totalBytes))
            case .audio(_, let track):
                tracks.append(ManifestTrack(kind: .audio, bitrate: track.bitrate, source: file, trackID: Int(sink.trackID),
                                            trackName: track.trackName, language: track.language, codec: index.codec,
                                            fragments: fragments))
                outputs.append(RenditionOutput(kind: .audio, file: file, bitrate: track.bitrate, measuredBitrate: measured,
                                               width: nil, height: nil, trackName: track.trackName, language: track.language,
                                               fragments: index.fragments.count, bytes: index.totalBytes))
            }
        }
        _ = summary
        let manifests: PresentationManifests
        do {
            manifests = try ManifestBuilder(presentation: stem, options: .init(version: options.manifestVersion, allowGaps: false))
                .build(tracks)
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .describe)
        }
        for file in manifests.files {
            try Data(file.contents).write(to: work.appendingPathComponent(file.name))
        }

        emit(.phase(source: source, .checking))
        try PresentationCheck.verify(folder: work, manifests: manifests, tracks: tracks, source: path)

        let prefix = "\(stem)/\(version)/"
        let upload: UploadManifest
        do {
            upload = try UploadManifest.build(folder: work, presentation: stem, prefix: prefix)
            try upload.jsonData().write(to: work.appendingPathComponent(UploadManifest.fileName))
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .describe)
        }
        return Presentation(source: source, name: stem, version: version, prefix: prefix,
                            directory: out.presentation(stem, version), playbackPath: upload.manifestPath,
                            status: .created, duration: Double(manifests.client.duration) / Double(Clock.timescale),
                            renditions: outputs, uploadManifest: upload)
    }

    /// The presentation already published for these inputs, described from its files.
    private func existing(stem: String, version: String) throws -> Presentation {
        let folder = out.presentation(stem, version)
        do {
            let upload = try JSONDecoder().decode(
                UploadManifest.self, from: Data(contentsOf: folder.appendingPathComponent(UploadManifest.fileName)))
            let client = try ClientManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("\(stem).ismc"))))
            let server = try ServerManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("\(stem).ism"))))
            var outputs: [RenditionOutput] = []
            for track in server.tracks {
                let size = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(track.src).path)[.size]
                    as? NSNumber)?.int64Value ?? 0
                let isVideo = track.kind == .video
                let stream = client.streams.first { s in s.qualityLevels.contains { $0.bitrate == track.systemBitrate } && (s.type == .video) == isVideo }
                let level = stream?.qualityLevels.first { $0.bitrate == track.systemBitrate }
                outputs.append(RenditionOutput(
                    kind: isVideo ? .video : .audio, file: track.src, bitrate: track.systemBitrate, measuredBitrate: 0,
                    width: level?.maxWidth, height: level?.maxHeight, trackName: track.trackName ?? (isVideo ? "video" : "audio"),
                    language: track.systemLanguage, fragments: stream?.chunks.count ?? 0, bytes: size))
            }
            return Presentation(source: source, name: stem, version: version, prefix: upload.prefix, directory: folder,
                                playbackPath: upload.manifestPath, status: .upToDate,
                                duration: Double(client.duration) / Double(Clock.timescale), renditions: outputs,
                                uploadManifest: upload)
        } catch {
            throw PipelineError.wrap(error, source: source.path, stage: .read)
        }
    }
}
