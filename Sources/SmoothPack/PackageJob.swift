internal import Foundation
internal import ISOBMFF
internal import MediaCore
internal import Platform
internal import SmoothManifest
internal import Synchronization
internal import Transcode

/// `smoothpack package`: already encoded H.264/AAC rung files become a presentation without
/// re-encoding — libavformat demuxes, our muxer writes. Refuses rungs whose key frames are not aligned.
///
/// Each input is opened once and demuxed once: its video (and, for the file the audio comes from, its audio)
/// go to their muxers in the same pass. Key-frame alignment is checked on the fragment boundaries as they are
/// cut, against the first video rung's; a mismatch stops the job at once (naming the file and the time) and
/// the work folder is removed. The version hash of the inputs is computed on a thread of its own while the
/// muxing runs, and the outputs are digested while they are written (``DigestingFileSink``), never read back.
struct PackageJob {
    let inputs: [URL]
    let stem: String
    let out: OutputFolder
    let options: PackagerOptions
    /// Target fragment duration in 10 MHz units; video fragments start at the first IDR at or after
    /// 95% of it (so 2.002 s GOPs at 29.97 fps and 2 s GOPs both give one GOP per fragment).
    let fragmentDuration: Int64
    let emit: @Sendable (PackagerEvent) -> Void
    /// Polled between samples; when it turns true the job throws `CancellationError` and
    /// leaves nothing behind.
    var isCancelled: @Sendable () -> Bool = { false }

    func run() throws -> Presentation {
        guard let first = inputs.first else {
            throw PipelineError(source: stem, stage: .read, message: "no input files")
        }
        emit(.phase(source: first, .hashing))
        let version = VersionInBackground(inputs: inputs, fragmentDuration: fragmentDuration, options: options,
                                          stem: stem, out: out)
        // Whatever happens below, the hashing thread is waited for: nothing it reads outlives the job.
        do {
            let presentation = try build(first: first, version: version)
            return presentation
        } catch {
            let hashed = version.wait()
            // An unreadable input is reported as the read failure it is, as before the overlap.
            if case .failure(let e) = hashed { throw PipelineError.wrap(e, source: first.path, stage: .read) }
            if case .success(let v) = hashed, version.alreadyPublished {
                do { return try out.reuse(stem: stem, version: v, source: first, options: options) } catch {
                    throw PipelineError.wrap(error, source: first.path, stage: .read)
                }
            }
            throw error
        }
    }

    private func build(first: URL, version: VersionInBackground) throws -> Presentation {
        let stopped: @Sendable () -> Bool = { [isCancelled] in isCancelled() || version.alreadyPublished }
        emit(.phase(source: first, .probing))
        var sources: [PreEncodedSource] = []
        for url in inputs {
            if stopped() { throw CancellationError() }
            do { sources.append(try PreEncodedSource(path: url.path)) } catch {
                throw PipelineError.wrap(error, source: url.path, stage: .probe)
            }
        }
        // The probes' libavformat indexes (every sample of every input: ~30 MB for a 2-hour title) are freed;
        // their pages go back before the muxing pass allocates its buffers (docs/benchmarks.md, "long").
        ProcessMemory.returnFreedPages()
        // Video rungs: one per file with H.264; audio from the first file that has AAC-LC.
        let audioSource = sources.firstIndex { s in s.tracks.contains { !$0.config.isVideo } }
        var plans: [[TrackPlan]] = Array(repeating: [], count: sources.count)
        var bitrates = Set<Int>()
        for (i, s) in sources.enumerated() {
            guard let v = s.tracks.first(where: { $0.config.isVideo }), case .video(let config) = v.config else { continue }
            // A bitrate the container does not declare is measured while muxing; the file gets its name then.
            let bitrate = v.bitrate > 0 ? Naming.unique(Naming.nominal(v.bitrate), in: &bitrates) : 0
            let file = bitrate > 0 ? Naming.videoFile(stem, bitrate: bitrate) : Self.unnamed(input: i, kind: .video)
            plans[i].append(TrackPlan(track: v, kind: .video, bitrate: bitrate, file: file,
                                      trackID: 1, policy: .video(minimumDuration: minimum), trackName: nil,
                                      width: config.width, height: config.height))
        }
        if let i = audioSource, let a = sources[i].tracks.first(where: { !$0.config.isVideo }),
           case .audio(let config) = a.config {
            let bitrate = a.bitrate > 0 ? Naming.nominal(a.bitrate) : 0
            let frames = FragmentationPolicy.audioFramesPerFragment(targetDuration: fragmentDuration,
                                                                    sampleRate: config.sampleRate)
            plans[i].append(TrackPlan(track: a, kind: .audio, bitrate: bitrate,
                                      file: bitrate > 0 ? Naming.audioFile(stem, trackName: "audio", bitrate: bitrate)
                                          : Self.unnamed(input: i, kind: .audio), trackID: 2,
                                      policy: .audio(framesPerFragment: frames), trackName: "audio", width: nil, height: nil))
        }
        if plans.allSatisfy(\.isEmpty) {
            let reasons = sources.flatMap { s in s.refused.map { "\(s.path): \($0)" } }
            throw PipelineError(source: first.path, stage: .probe,
                                message: "no H.264 video or AAC-LC audio to package" + (reasons.first.map { " (\($0))" } ?? ""))
        }

        let phase: (PackagerEvent.Phase) -> Void = { emit(.phase(source: first, $0)) }
        return try out.build(stem: stem, version: { try version.value(source: first) }, options: options,
                             source: first.path, emit: phase) { work, versionName in
            emit(.phase(source: first, .encoding))
            var videos: [WrittenTrack] = []
            var audios: [WrittenTrack] = []
            var digests: [String: WrittenDigest] = [:]
            var alignment = AlignmentCheck(minimum: minimum)
            // Encryption derives each file's IVs from the version, so it waits for the hash (docs/format.md §12.3).
            let protectionVersion = options.protection == nil ? nil : try versionName()
            for (source, tracks) in zip(sources, plans) where !tracks.isEmpty {
                if stopped() { throw CancellationError() }
                let results = try mux(source, tracks, into: work, alignment: &alignment, protectionVersion: protectionVersion,
                                      stopped: stopped)
                for (var plan, result) in zip(tracks, results) {
                    if plan.bitrate == 0 {
                        (plan.bitrate, plan.file) = try name(measured: plan, result.index, used: &bitrates, in: work,
                                                             source: source.path)
                    }
                    digests[plan.file] = result.digest
                    let track = WrittenTrack(kind: plan.kind, bitrate: plan.bitrate, file: plan.file,
                                             trackName: plan.trackName, language: plan.kind == .audio ? plan.track.language : nil,
                                             width: plan.width, height: plan.height, index: result.index)
                    if plan.kind == .video { videos.append(track) } else { audios.append(track) }
                }
            }
            // Video rungs in input order, then the audio: the order the manifests list them in.
            let written = videos + audios
            emit(.phase(source: first, .describing))
            return try PresentationAssembler.describe(work: work, stem: stem, version: try versionName(), tracks: written,
                                                      options: options, source: first, out: out, digests: digests,
                                                      onCheck: { emit(.phase(source: first, .checking)) })
        }
    }

    private var minimum: Int64 { fragmentDuration * 95 / 100 }

    /// One track of one input to be muxed, with its output name.
    struct TrackPlan {
        var track: PreEncodedSource.Track
        var kind: MediaKind
        var bitrate: Int
        var file: String
        var trackID: UInt32
        var policy: FragmentationPolicy
        var trackName: String?
        var width: Int?
        var height: Int?
    }

    /// Muxes `tracks` of `source` in one demuxing pass; returns each track's index and digest, in order.
    private func mux(_ source: PreEncodedSource, _ tracks: [TrackPlan], into work: URL, alignment: inout AlignmentCheck,
                     protectionVersion: String?, stopped: () -> Bool) throws -> [(index: FragmentIndex, digest: WrittenDigest)] {
        var sinks: [DigestingFileSink] = []
        defer { for s in sinks { s.abandon() } }
        do {
            var muxers: [Int: (fragmenter: Fragmenter, isVideo: Bool)] = [:]
            for plan in tracks {
                // Audio is a small share of the bytes (128 kb/s: 58 MB an hour): 1 MiB chunks still write large blocks, and
                // its sink holds 4 MiB instead of 16.
                let sink = try DigestingFileSink(path: work.appendingPathComponent(plan.file).path,
                                                 chunkSize: plan.kind == .video ? 4 << 20 : 1 << 20)
                sinks.append(sink)
                muxers[plan.track.streamIndex] = (try Fragmenter(sink: sink, trackID: plan.trackID, codec: plan.track.config,
                                                                 policy: plan.policy,
                                                                 protector: try protectionVersion.flatMap { v in
                                                                     try ProtectedOutput.encryptor(options, video: plan.kind == .video,
                                                                                                   version: v, file: plan.file)
                                                                 }), plan.kind == .video)
            }
            var rung = alignment.startRung(path: source.path)
            var polled = 0
            try source.read(streamIndexes: Set(muxers.keys)) { index, sample in
                polled += 1
                if polled & 63 == 0, stopped() { throw CancellationError() }
                guard let muxer = muxers[index] else { return }
                if muxer.isVideo { try rung.observe(sample) }
                try muxer.fragmenter.append(sample)
            }
            if tracks.contains(where: { $0.kind == .video }) { try alignment.finish(rung) }
            var results: [(index: FragmentIndex, digest: WrittenDigest)] = []
            for (plan, sink) in zip(tracks, sinks) {
                guard let muxer = muxers[plan.track.streamIndex] else { continue }
                let index = try muxer.fragmenter.finish()
                results.append((index, try sink.close()))
            }
            sinks.removeAll()
            return results
        } catch {
            if error is CancellationError { throw error }
            throw PipelineError.wrap(error, source: source.path, stage: .package)
        }
    }

    /// The working name of a track whose bitrate is not known before it is muxed (hidden: never described).
    static func unnamed(input: Int, kind: MediaKind) -> String {
        ".measuring-\(input)-\(kind == .video ? "video" : "audio")"
    }

    /// Names a track the container declared no bitrate for, from what was written: its media bytes over its
    /// duration, rounded up to whole kb/s (unique among the video rungs), and moves its file to that name.
    private func name(measured plan: TrackPlan, _ index: FragmentIndex, used: inout Set<Int>, in work: URL,
                      source: String) throws -> (bitrate: Int, file: String) {
        var bitrate = Naming.producedBitrate(bytes: index.mediaBytes, duration: index.duration)
        let file: String
        if plan.kind == .video {
            bitrate = Naming.unique(bitrate, in: &used)
            file = Naming.videoFile(stem, bitrate: bitrate)
        } else {
            file = Naming.audioFile(stem, trackName: plan.trackName ?? "audio", bitrate: bitrate)
        }
        do {
            try FileManager.default.moveItem(at: work.appendingPathComponent(plan.file), to: work.appendingPathComponent(file))
        } catch {
            throw PipelineError.wrap(error, source: source, stage: .package)
        }
        return (bitrate, file)
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
}

/// Every rung must have IDRs at the same decode times where fragments start (docs/format.md §6.2 #6). The
/// first video rung's fragment starts are the reference; each later rung's are compared one by one as its
/// samples arrive, with the muxer's own rule (a sync sample once the open fragment lasts `minimum`), so a
/// mismatch is found at the first fragment where it occurs.
struct AlignmentCheck {
    let minimum: Int64
    private(set) var reference: (path: String, boundaries: [Int64])?

    init(minimum: Int64) { self.minimum = minimum }

    func startRung(path: String) -> Rung {
        Rung(path: path, minimum: minimum, reference: reference)
    }

    /// Ends a rung: the first one becomes the reference; a later one must not have stopped short of it.
    mutating func finish(_ rung: Rung) throws {
        guard rung.count > 0 else {
            throw PipelineError(source: rung.path, stage: .package, message: "the video does not start with an IDR frame")
        }
        guard let ref = reference else {
            reference = (rung.path, rung.boundaries)
            return
        }
        if rung.count < ref.boundaries.count {
            throw rung.misaligned(at: ref.boundaries[rung.count], ownsTime: false)
        }
    }

    struct Rung {
        let path: String
        let minimum: Int64
        let reference: (path: String, boundaries: [Int64])?
        /// Fragment starts so far (kept only for the reference rung).
        private(set) var boundaries: [Int64] = []
        private(set) var count = 0
        private var start: Int64?

        init(path: String, minimum: Int64, reference: (path: String, boundaries: [Int64])?) {
            self.path = path
            self.minimum = minimum
            self.reference = reference
        }

        mutating func observe(_ sample: EncodedSample) throws {
            guard let s = start else {
                guard sample.isSync else {
                    throw PipelineError(source: path, stage: .package, message: "the video does not start with an IDR frame")
                }
                try boundary(sample.decodeTime)
                return
            }
            if sample.isSync && sample.decodeTime - s >= minimum { try boundary(sample.decodeTime) }
        }

        private mutating func boundary(_ t: Int64) throws {
            start = t
            defer { count += 1 }
            guard let ref = reference else {
                boundaries.append(t)
                return
            }
            guard count < ref.boundaries.count else { throw misaligned(at: t, ownsTime: true) }
            let theirs = ref.boundaries[count]
            if t != theirs { throw misaligned(at: min(t, theirs), ownsTime: t < theirs) }
        }

        /// The refusal: the earliest fragment start that only one of the two rungs has.
        func misaligned(at t: Int64, ownsTime: Bool) -> PipelineError {
            let refPath = reference?.path ?? path
            let seconds = String(format: "%.3f", Double(t) / Double(Clock.timescale))
            let which = ownsTime ? "\(refPath) has no key frame there" : "it has no key frame there"
            return PipelineError(source: path, stage: .package,
                                 message: "key frames are not aligned with \(refPath) at \(seconds) s (\(which))")
        }
    }
}

/// The version hash of a package job's inputs, computed on a thread of its own while the job probes and
/// muxes (it reads every byte of every input). Once known, it also tells whether that version is already
/// published, so the job can stop early and return the existing presentation.
final class VersionInBackground: Sendable {
    private let result = Mutex<Result<String, any Error>?>(nil)
    private let published = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let finished = Atomic<Bool>(false)

    init(inputs: [URL], fragmentDuration: Int64, options: PackagerOptions, stem: String, out: OutputFolder) {
        let work: @Sendable () -> Void = { [self] in
            let r = Result<String, any Error> {
                try PresentationVersion.compute(sources: inputs, salt: "package fragment=\(fragmentDuration)", options: options)
            }
            if case .success(let v) = r, out.isPublished(stem, v) { published.store(true, ordering: .releasing) }
            result.withLock { $0 = r }
            done.signal()
        }
        do { try Blocking.startThread(name: "version hash", work) } catch {
            // No thread: compute it here instead.
            work()
        }
    }

    /// Whether the version turned out to be published already (false while unknown).
    var alreadyPublished: Bool { published.load(ordering: .acquiring) }

    /// Waits for the hash (once; later calls return at once).
    @discardableResult
    func wait() -> Result<String, any Error> {
        if !finished.load(ordering: .acquiring) {
            done.wait()
            finished.store(true, ordering: .releasing)
        }
        return result.withLock { $0 }!
    }

    /// The version, waiting for it; a hashing failure is a read failure of the inputs.
    func value(source: URL) throws -> String {
        switch wait() {
        case .success(let v): return v
        case .failure(let e): throw PipelineError.wrap(e, source: source.path, stage: .read)
        }
    }
}
