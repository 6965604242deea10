internal import Foundation
internal import ISOBMFF
internal import MediaCore
internal import SmoothManifest
internal import Publish
internal import Protection
internal import Platform
internal import SystemPackage

/// One media file written into a work folder, as the muxer returned it.
struct WrittenTrack {
    var kind: MediaKind
    /// Nominal bitrate: the QualityLevel `Bitrate` and `.ism` `systemBitrate`.
    var bitrate: Int
    var file: String
    var trackName: String?
    var language: String?
    var width: Int?
    var height: Int?
    var index: FragmentIndex
}

/// The Describe stage, shared by `encode` and `package`: manifests from what was written, the §8
/// self-checks, then `upload-manifest.json` (last, so its presence marks a complete folder).
enum PresentationAssembler {
    static func describe(work: URL, stem: String, version: String, tracks written: [WrittenTrack],
                         text: CaptionTracks.Written = .init(), options: PackagerOptions, source: URL, out: OutputFolder,
                         digests: [String: WrittenDigest] = [:],
                         onCheck: () -> Void) throws -> Presentation {
        let path = source.path
        var tracks: [ManifestTrack] = []
        var outputs: [RenditionOutput] = []
        var segmented: [SegmentedTrack] = []
        for w in written {
            let index = w.index
            let fragments = index.fragments.map { FragmentTiming(time: $0.time, duration: $0.duration) }
            let measured = index.duration > 0
                ? Int(Double(index.mediaBytes) * 8 * Double(Clock.timescale) / Double(index.duration)) : 0
            tracks.append(ManifestTrack(kind: w.kind, bitrate: w.bitrate, source: w.file, trackID: Int(index.trackID),
                                        trackName: w.trackName, language: w.language, codec: index.codec,
                                        fragments: fragments))
            segmented.append(StreamingManifests.segmented(tracks[tracks.count - 1], index))
            outputs.append(RenditionOutput(kind: w.kind == .video ? .video : .audio, file: w.file, bitrate: w.bitrate,
                                           measuredBitrate: measured, width: w.width, height: w.height,
                                           trackName: w.trackName ?? w.kind.rawValue, language: w.language,
                                           fragments: index.fragments.count, bytes: index.totalBytes))
        }
        for (t, c) in zip(text.tracks, text.outputs) {
            let size = Int64((try? FileManager.default.attributesOfItem(atPath: work.appendingPathComponent(t.source).path)[.size]
                as? NSNumber)?.int64Value ?? 0)
            outputs.append(RenditionOutput(kind: .text, file: t.source, bitrate: t.bitrate, measuredBitrate: t.bitrate,
                                           width: nil, height: nil, trackName: t.trackName, language: c.language,
                                           fragments: t.fragments.count, bytes: size))
        }
        var manifests: PresentationManifests
        var dashProtection: MPDProtection?
        do {
            let builder = ManifestBuilder(presentation: stem, options: .init(version: options.manifestVersion, allowGaps: false))
            manifests = try builder.addingText(text.tracks, to: try builder.build(tracks))
            if let p = options.protection {
                manifests.client.protection = try ProtectedOutput.smoothHeaders(p)
                dashProtection = try ProtectedOutput.dash(p)
            }
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .describe)
        }
        do {
            for file in manifests.files {
                try Data(file.contents).write(to: work.appendingPathComponent(file.name))
            }
            // Encrypted output has no HLS (ProtectedOutput.hlsNote).
            let formats = options.protection == nil ? options.formats : options.formats.subtracting([.hls])
            let renditions = try CaptionTracks.writeWebVTT(text, stem: stem, formats: formats, to: work)
            try StreamingManifests.write(segmented, stem: stem, formats: formats, text: renditions, to: work,
                                         protection: dashProtection)
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .describe)
        }

        onCheck()
        try PresentationCheck.verify(folder: work, manifests: manifests, tracks: tracks, source: path)
        try PresentationCheck.verifyText(folder: work, manifests: manifests, tracks: text.tracks, source: path)

        let prefix = "\(stem)/\(version)/"
        let upload: UploadManifest
        do {
            // Media files digested while they were written are not read again.
            upload = try UploadManifest.build(folder: work, presentation: stem, prefix: prefix,
                                              known: digests.mapValues { (sha256: $0.sha256, md5: $0.md5, size: $0.size) })
            try upload.jsonData().write(to: work.appendingPathComponent(UploadManifest.fileName))
        } catch {
            throw PipelineError.wrap(error, source: path, stage: .describe)
        }
        return Presentation(source: source, name: stem, version: version, prefix: prefix,
                            directory: out.presentation(stem, version), playbackPath: upload.manifestPath,
                            status: .created, duration: Double(manifests.client.duration) / Double(Clock.timescale),
                            renditions: outputs, uploadManifest: upload, captions: text.outputs)
            .describingProtection(options)
    }
}

extension OutputFolder {
    /// Runs `body` in a fresh work folder and publishes the result atomically; on any error the work
    /// folder is removed and nothing appears under `<out>/<stem>/`.
    func build(stem: String, version: String, options: PackagerOptions, source: String,
               emit: (PackagerEvent.Phase) -> Void, _ body: (URL) throws -> Presentation) throws -> Presentation {
        try build(stem: stem, version: { version }, options: options, source: source, emit: emit) { work, _ in
            try body(work)
        }
    }

    /// ``build(stem:version:options:source:emit:_:)`` with a version that may still be computing when the work
    /// starts (the package job hashes its inputs while it muxes): `version` is asked for when needed (by
    /// `body` through its second argument, and before the rename) and may wait or throw.
    func build(stem: String, version: @escaping () throws -> String, options: PackagerOptions, source: String,
               emit: (PackagerEvent.Phase) -> Void,
               _ body: (URL, @escaping () throws -> String) throws -> Presentation) throws -> Presentation {
        removeStaleWorkFolders()
        let work: URL
        do { work = try makeWorkFolder() } catch { throw PipelineError.wrap(error, source: source, stage: .publish) }
        do {
            let presentation = try body(work, version)
            emit(.publishing)
            let version = try version()
            switch try publish(work, stem: stem, version: version) {
            case .published: break
            case .alreadyThere:
                return try reuse(stem: stem, version: version, source: presentation.source, options: options)
            }
            try writePolicyFiles(options)
            return presentation
        } catch {
            try? FileManager.default.removeItem(at: work)
            if error is CancellationError { throw error }
            throw PipelineError.wrap(error, source: source, stage: (error as? PipelineError)?.stage ?? .publish)
        }
    }

    /// The cross-domain policy files at the distribution root (or the output root), rewritten only when they differ.
    func writePolicyFiles(_ options: PackagerOptions) throws {
        let root = options.distributionRoot.map { OutputFolder(root: $0.standardizedFileURL) } ?? self
        try PolicyFiles.files(allowedDomains: options.allowedDomains).forEach { try root.writeRootFile($0.name, $0.contents) }
    }

    /// A version already published (by an earlier run, or one that crashed right after its rename), taken as this
    /// run's result: made durable first (its files, its folder, `<stem>/` and the root are synced, which costs
    /// little when they are), and given its policy files, which a run stopped between the rename and their write
    /// never wrote.
    /// A folder this process may not write to (another user's, a read-only mount) was made durable by whoever
    /// wrote it, and is taken as it is.
    func reuse(stem: String, version: String, source: URL, options: PackagerOptions) throws -> Presentation {
        let folder = FilePath(presentation(stem, version).path)
        do {
            try FileSystem.syncTree(folder)
            try FileSystem.fsync(folder.removingLastComponent())
            try FileSystem.fsync(FilePath(root.path))
            try writePolicyFiles(options)
        } catch let error as PlatformError
            where [.permissionDenied, .notPermitted, .readOnlyFileSystem].contains(error.errno) {}
        return try existing(stem: stem, version: version, source: source).describingProtection(options)
    }

    /// The presentation already published under `<stem>/<version>/`, described from its files.
    func existing(stem: String, version: String, source: URL) throws -> Presentation {
        let folder = presentation(stem, version)
        let upload = try JSONDecoder().decode(
            UploadManifest.self, from: Data(contentsOf: folder.appendingPathComponent(UploadManifest.fileName)))
        let client = try ClientManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("\(stem).ismc"))))
        let server = try ServerManifest(xml: Array(try Data(contentsOf: folder.appendingPathComponent("\(stem).ism"))))
        let outputs = server.tracks.map { track -> RenditionOutput in
            let stream = client.streams.first { $0.name == track.name }
            let level = stream?.qualityLevels.first { $0.bitrate == track.systemBitrate }
            let size = upload.objects.first { $0.key == upload.prefix + track.src }?.size ?? 0
            let seconds = Double(stream?.end ?? 0) / Double(Clock.timescale)
            return RenditionOutput(
                kind: track.kind == .video ? .video : track.kind == .text ? .text : .audio, file: track.src,
                bitrate: track.systemBitrate,
                measuredBitrate: seconds > 0 ? Int(Double(size) * 8 / seconds) : 0, width: level?.maxWidth,
                height: level?.maxHeight, trackName: track.name, language: track.systemLanguage,
                fragments: stream?.chunks.count ?? 0, bytes: size)
        }
        return Presentation(source: source, name: stem, version: version, prefix: upload.prefix, directory: folder,
                            playbackPath: upload.manifestPath, status: .upToDate,
                            duration: Double(client.duration) / Double(Clock.timescale), renditions: outputs,
                            uploadManifest: upload)
    }
}
