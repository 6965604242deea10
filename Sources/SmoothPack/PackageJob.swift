internal import Foundation
internal import ISOBMFF
internal import MediaCore
internal import SmoothManifest
internal import Transcode

/// `smoothpack package`: already encoded H.264/AAC rung files become a presentation without
/// re-encoding — libavformat demuxes, our muxer writes. Refuses rungs whose key frames are not aligned.
struct PackageJob {
    let inputs: [URL]
    let stem: String
    let out: OutputFolder
    let options: PackagerOptions
    /// Target fragment duration in 10 MHz units; video fragments start at the first IDR at or after
    /// 95% of it (so 2.002 s GOPs at 29.97 fps and 2 s GOPs both give one GOP per fragment).
    let fragmentDuration: Int64
    let emit: @Sendable (PackagerEvent) -> Void
    /// Polled between files and between tracks; when it turns true the job throws `CancellationError` and
    /// leaves nothing behind.
    var isCancelled: @Sendable () -> Bool = { false }

    func run() throws -> Presentation {
        guard let first = inputs.first else {
            throw PipelineError(source: stem, stage: .read, message: "no input files")
        }
        emit(.phase(source: first, .hashing))
        let version: String
        do { version = try PresentationVersion.compute(sources: inputs, salt: "package fragment=\(fragmentDuration)", options: options) } catch {
            throw PipelineError.wrap(error, source: first.path, stage: .read)
        }
        if out.isPublished(stem, version) {
            do { return try out.existing(stem: stem, version: version, source: first).describingProtection(options) } catch {
                throw PipelineError.wrap(error, source: first.path, stage: .read)
            }
        }

        emit(.phase(source: first, .probing))
        var sources: [PreEncodedSource] = []
        for url in inputs {
            if isCancelled() { throw CancellationError() }
            do { sources.append(try PreEncodedSource(path: url.path)) } catch {
                throw PipelineError.wrap(error, source: url.path, stage: .probe)
            }
        }
        // Video rungs: one per file with H.264; audio from the first file that has AAC-LC.
        var videos: [(source: PreEncodedSource, track: PreEncodedSource.Track)] = []
        for s in sources {
            if let v = s.tracks.first(where: { $0.config.isVideo }) { videos.append((s, v)) }
        }
        let audio = sources.lazy.compactMap { s in s.tracks.first { !$0.config.isVideo }.map { (source: s, track: $0) } }.first
        if videos.isEmpty && audio == nil {
            let reasons = sources.flatMap { s in s.refused.map { "\(s.path): \($0)" } }
            throw PipelineError(source: first.path, stage: .probe,
                                message: "no H.264 video or AAC-LC audio to package" + (reasons.first.map { " (\($0))" } ?? ""))
        }
        let minimum = fragmentDuration * 95 / 100
        try checkAlignment(videos, minimum: minimum)

        let phase: (PackagerEvent.Phase) -> Void = { emit(.phase(source: first, $0)) }
        return try out.build(stem: stem, version: version, options: options, source: first.path, emit: phase) { work in
            emit(.phase(source: first, .encoding))
            var written: [WrittenTrack] = []
            var bitrates = Set<Int>()
            for (source, track) in videos {
                guard case .video(let config) = track.config else { continue }
                if isCancelled() { throw CancellationError() }
                let bitrate = Self.unique(Self.nominal(track.bitrate), in: &bitrates)
                let file = Naming.videoFile(stem, bitrate: bitrate)
                let index = try mux(source, track, into: work.appendingPathComponent(file), trackID: 1,
                                    policy: .video(minimumDuration: minimum),
                                    protector: try ProtectedOutput.encryptor(options, video: true, version: version, file: file))
                written.append(WrittenTrack(kind: .video, bitrate: bitrate, file: file, trackName: nil, language: nil,
                                            width: config.width, height: config.height, index: index))
            }
            if let (source, track) = audio, case .audio(let config) = track.config {
                if isCancelled() { throw CancellationError() }
                let bitrate = Self.nominal(track.bitrate)
                let file = Naming.audioFile(stem, trackName: "audio", bitrate: bitrate)
                let frames = FragmentationPolicy.audioFramesPerFragment(targetDuration: fragmentDuration,
                                                                        sampleRate: config.sampleRate)
                let index = try mux(source, track, into: work.appendingPathComponent(file), trackID: 2,
                                    policy: .audio(framesPerFragment: frames),
                                    protector: try ProtectedOutput.encryptor(options, video: false, version: version, file: file))
                written.append(WrittenTrack(kind: .audio, bitrate: bitrate, file: file, trackName: "audio",
                                            language: track.language, width: nil, height: nil, index: index))
            }
            emit(.phase(source: first, .describing))
            return try PresentationAssembler.describe(work: work, stem: stem, version: version, tracks: written,
                                                      options: options, source: first, out: out,
                                                      onCheck: { emit(.phase(source: first, .checking)) })
        }
    }

    /// Every rung must have IDRs at the same decode times where fragments start (docs/format.md §6.2 #6).
    private func checkAlignment(_ videos: [(source: PreEncodedSource, track: PreEncodedSource.Track)], minimum: Int64) throws {
        var reference: (path: String, boundaries: [Int64])?
        for (source, track) in videos {
            let sync: [Int64]
            do { sync = try source.syncTimes(streamIndex: track.streamIndex) } catch {
                throw PipelineError.wrap(error, source: source.path, stage: .read)
            }
            guard sync.first == 0 else {
                throw PipelineError(source: source.path, stage: .package, message: "the video does not start with an IDR frame")
            }
            let boundaries = Self.boundaries(sync, minimum: minimum)
            guard let ref = reference else { reference = (source.path, boundaries); continue }
            if boundaries != ref.boundaries {
                let mine = Set(boundaries), theirs = Set(ref.boundaries)
                let t = (boundaries.filter { !theirs.contains($0) } + ref.boundaries.filter { !mine.contains($0) }).min() ?? 0
                let seconds = String(format: "%.3f", Double(t) / Double(Clock.timescale))
                let which = mine.contains(t) ? "\(ref.path) has no key frame there" : "it has no key frame there"
                throw PipelineError(source: source.path, stage: .package,
                                    message: "key frames are not aligned with \(ref.path) at \(seconds) s (\(which))")
            }
        }
    }

    /// Fragment start times the muxer will choose: an IDR once the open fragment lasts `minimum`.
    static func boundaries(_ sync: [Int64], minimum: Int64) -> [Int64] {
        guard var start = sync.first else { return [] }
        var out = [start]
        for t in sync.dropFirst() where t - start >= minimum {
            out.append(t)
            start = t
        }
        return out
    }

    private func mux(_ source: PreEncodedSource, _ track: PreEncodedSource.Track, into url: URL, trackID: UInt32,
                     policy: FragmentationPolicy, protector: (any SampleProtector)?) throws -> FragmentIndex {
        do {
            let file = try FileSink(path: url.path)
            let fragmenter = try Fragmenter(sink: file, trackID: trackID, codec: track.config, policy: policy,
                                            protector: protector)
            try source.read(streamIndexes: [track.streamIndex]) { _, sample in try fragmenter.append(sample) }
            let index = try fragmenter.finish()
            try file.close()
            return index
        } catch {
            throw PipelineError.wrap(error, source: source.path, stage: .package)
        }
    }

    /// Declared bitrates rounded to whole kb/s (the QualityLevel name).
    static func nominal(_ bitrate: Int) -> Int { max(1000, (bitrate + 500) / 1000 * 1000) }

    static func unique(_ bitrate: Int, in used: inout Set<Int>) -> Int {
        var b = bitrate
        while used.contains(b) { b += 1000 }
        used.insert(b)
        return b
    }
}
