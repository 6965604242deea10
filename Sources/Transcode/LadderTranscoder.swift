internal import FFmpeg
internal import MediaCore
public import Planning
internal import Foundation
internal import Platform

/// Decodes a source once and encodes every rendition of a ``LadderPlan``: each video rung scales and
/// encodes on its own thread, fed through a bounded queue; audio tracks are resampled and encoded on the
/// demuxing thread. Blocking: call ``run(sinks:progress:)`` from a thread that may block.
public final class LadderTranscoder {
    public let sourcePath: String
    public let plan: LadderPlan
    /// Decoded frames buffered per rung; bounds memory to depth × frame size × rungs.
    public var queueDepth = 6
    /// Polled between packets; return true to stop early (the run then throws `CancellationError`).
    public var isCancelled: @Sendable () -> Bool = { false }
    /// Score every video rung against its reference while encoding (QualityMeter.swift).
    public var measureQuality = false
    /// Take a thumbnail of the top rung every this many seconds (nil: none), this many pixels wide.
    public var thumbnailInterval: Double?
    public var thumbnailWidth = 192
    /// Quality and thumbnails of the last ``run(sinks:progress:)``.
    public private(set) var measurements = TranscodeMeasurements()
    /// The presentation timeline's origin in source seconds, when it is known already (the parts of a split
    /// encode use the value ``timelineOrigin()`` found for the whole source); nil finds it from the streams'
    /// first timestamps.
    public var origin: Double?
    /// Encode only these output video frames (a chunk of a split encode): the input is read from the key
    /// frame before them, and the frames before `start` are decoded and filtered but not encoded. Start on
    /// the fragment grid so the chunk opens with an IDR. Nil: every frame.
    public var frames: FrameSpan?

    public init(sourcePath: String, plan: LadderPlan) {
        self.sourcePath = sourcePath
        self.plan = plan
    }

    /// Every rendition of the plan, video rungs first (highest first), then audio tracks.
    public var renditions: [Rendition] {
        (plan.video?.rungs ?? []).enumerated().map { Rendition.video(index: $0.offset, rung: $0.element) }
            + plan.audio.enumerated().map { Rendition.audio(index: $0.offset, track: $0.element) }
    }

    /// Runs the transcode. `sinks` is asked once per rendition, before any work starts; each sink is then
    /// called from a single thread. Throws the first error of any thread.
    public func run(sinks makeSink: (Rendition) throws -> any RenditionSink,
                    progress: (TranscodeProgress) -> Void = { _ in }) throws -> TranscodeSummary {
        let started = Date()
        let input: InputFile
        do { input = try InputFile(path: sourcePath) } catch { throw error.about(sourcePath) }
        let duration = input.probe().duration
        let failure = FirstError()

        // Video: decoder now; the filter is built on the first frame (it needs the frame's format).
        var videoDecoder: Decoder?
        var workers: [RungWorker] = []
        if let video = plan.video {
            videoDecoder = try Decoder(input: input, streamIndex: video.sourceStreamIndex)
            for (i, rung) in video.rungs.enumerated() {
                let rendition = Rendition.video(index: i, rung: rung)
                workers.append(try RungWorker(rendition: rendition, rung: rung, video: video, sink: try makeSink(rendition),
                                              depth: queueDepth, failure: failure, path: sourcePath,
                                              firstFrame: frames?.start ?? 0))
                try attachMeasurements(workers[i], rung: rung, video: video)
            }
        }
        // Audio: one decoder per source stream, one converter + encoder per output track.
        var audioDecoders: [Int: Decoder] = [:]
        var tracks: [AudioTrackEncoder] = []
        for (i, track) in plan.audio.enumerated() {
            if audioDecoders[track.sourceStreamIndex] == nil {
                audioDecoders[track.sourceStreamIndex] = try Decoder(input: input, streamIndex: track.sourceStreamIndex)
            }
            let rendition = Rendition.audio(index: i, track: track)
            tracks.append(try AudioTrackEncoder(rendition: rendition, track: track, sink: try makeSink(rendition),
                                                path: sourcePath))
        }
        input.discardAll(except: Set(audioDecoders.keys).union(plan.video.map { [$0.sourceStreamIndex] } ?? []))
        if let frames, frames.start > 0, let video = plan.video {
            // A second before the chunk: the key frame found is early enough for the frame-rate filter (and a
            // deinterlacer) to see the frames around the chunk's first one exactly as a whole encode does.
            let seconds = (video.frameDuration * Rational(frames.start, 1)).doubleValue + (origin ?? 0) - 1
            let timeBase = input.timeBase(ofStream: video.sourceStreamIndex)
            try input.seek(stream: video.sourceStreamIndex, to: Int64((seconds / timeBase.doubleValue).rounded(.down)))
        }

        // Each thread takes its worker out of a slot and lets it go before it leaves the group, so every worker
        // (its libx264 encoder, scaler and meters) is freed on this thread when `workers` goes, never by a rung
        // thread after this function has returned.
        let group = DispatchGroup()
        for worker in workers {
            group.enter()
            let slot = TakeOnce(worker)
            do {
                try Blocking.startThread(name: worker.rendition.label) {
                    if let worker = slot.take() { worker.run() }
                    group.leave()
                }
            } catch {
                failure.record(error)
                worker.queue.abort()  // nothing will take from it: the demuxer's puts are refused, not parked
                group.leave()
            }
        }
        var demux = Demuxer(plan: plan, workers: workers, tracks: tracks, failure: failure)
        demux.origin = origin
        demux.frames = frames
        do {
            for track in tracks { try track.start() }
            try demux.run(input: input, videoDecoder: videoDecoder, audioDecoders: audioDecoders,
                          duration: duration, started: started, isCancelled: isCancelled, progress: progress)
        } catch {
            failure.record(error)
        }
        if failure.error != nil { workers.forEach { $0.queue.abort() } } else { workers.forEach { $0.queue.close() } }
        group.wait()
        if let error = failure.error { throw error }

        measurements = collectMeasurements(workers)
        let elapsed = Date().timeIntervalSince(started)
        let outputs = workers.map(\.summary) + tracks.map(\.summary)
        return TranscodeSummary(outputs: outputs.compactMap { $0 }, decodedFrames: demux.decodedVideoFrames,
                                elapsed: elapsed)
    }
}

/// Output frames `start ..< end` of a transcode (nil `end`: to the end of the source).
public struct FrameSpan: Sendable, Equatable, Codable {
    public var start: Int64
    public var end: Int64?

    public init(start: Int64, end: Int64?) {
        self.start = start
        self.end = end
    }
}

extension LadderTranscoder {
    /// The origin a whole transcode of the source places its timeline at (seconds of source time): the
    /// earliest first timestamp of the streams the plan uses, found by decoding the first frames exactly as
    /// ``run(sinks:progress:)`` does. The parts of a split encode all use it, so their times agree.
    public func timelineOrigin() throws -> Double {
        let input: InputFile
        do { input = try InputFile(path: sourcePath) } catch { throw error.about(sourcePath) }
        var videoDecoder: Decoder?
        if let video = plan.video { videoDecoder = try Decoder(input: input, streamIndex: video.sourceStreamIndex) }
        var audioDecoders: [Int: Decoder] = [:]
        for track in plan.audio where audioDecoders[track.sourceStreamIndex] == nil {
            audioDecoders[track.sourceStreamIndex] = try Decoder(input: input, streamIndex: track.sourceStreamIndex)
        }
        input.discardAll(except: Set(audioDecoders.keys).union(plan.video.map { [$0.sourceStreamIndex] } ?? []))
        var demux = Demuxer(plan: plan, workers: [], tracks: [], failure: FirstError())
        demux.originOnly = true
        try demux.run(input: input, videoDecoder: videoDecoder, audioDecoders: audioDecoders, duration: nil,
                      started: Date(), isCancelled: isCancelled, progress: { _ in })
        return demux.origin ?? 0
    }
}

/// The demuxing thread's work: read packets, decode, filter video and fan frames out, encode audio.
private struct Demuxer {
    let plan: LadderPlan
    let workers: [RungWorker]
    let tracks: [AudioTrackEncoder]
    let failure: FirstError
    var filter: VideoFilter?
    var framesOut: Int64 = 0
    var decodedVideoFrames: Int64 = 0
    /// End of the latest decoded frame (its pts + duration) in the stream time base.
    var lastVideoEnd: Int64?
    var lastProgress = Date.distantPast

    // The presentation timeline starts at the earliest first timestamp of the streams used (seconds):
    // video frames and audio samples are placed relative to it, so a stream that starts late is padded
    // (first video frame repeated, or silence) and a negative start loses nothing. Frames are held back
    // until every stream has shown its first timestamp (or a bound is reached).
    var origin: Double?
    var firstTimes: [Int: Double] = [:]
    var pending: [(stream: Int, frame: Frame)] = []
    var pendingVideo = 0
    var timeBases: [Int: Rational] = [:]
    var videoDecoder: Decoder?
    /// Only the frames in this span are handed to the rungs; past its end, reading stops.
    var frames: FrameSpan?
    var pastEnd = false
    /// Stop as soon as the origin is known, delivering nothing (``LadderTranscoder/timelineOrigin()``).
    var originOnly = false

    init(plan: LadderPlan, workers: [RungWorker], tracks: [AudioTrackEncoder], failure: FirstError) {
        self.plan = plan
        self.workers = workers
        self.tracks = tracks
        self.failure = failure
    }

    /// Streams whose first timestamp decides the origin.
    var timedStreams: Set<Int> {
        Set(plan.audio.map(\.sourceStreamIndex)).union(plan.video.map { [$0.sourceStreamIndex] } ?? [])
    }

    /// A decoded frame of `stream`: held until the origin is known, then placed on the timeline.
    mutating func received(_ frame: Frame, stream: Int) throws {
        if origin != nil { return try deliver(frame, stream: stream) }
        if firstTimes[stream] == nil, let t = frame.bestEffortTimestamp ?? frame.pts, let tb = timeBases[stream] {
            firstTimes[stream] = Double(t) * tb.doubleValue
        }
        pending.append((stream, try frame.ref()))
        if stream == plan.video?.sourceStreamIndex { pendingVideo += 1 }
        // Bounded: a stream that never yields a frame cannot make the others wait for long.
        if timedStreams.isSubset(of: Set(firstTimes.keys)) || pendingVideo >= 48 || pending.count >= 1024 {
            try settleOrigin()
        }
    }

    mutating func settleOrigin() throws {
        guard origin == nil else { return }
        origin = firstTimes.values.min() ?? 0
        let held = pending
        pending = []
        for (stream, frame) in held { try deliver(frame, stream: stream) }
    }

    private mutating func deliver(_ frame: Frame, stream: Int) throws {
        if originOnly || pastEnd { return }
        if stream == plan.video?.sourceStreamIndex, let decoder = videoDecoder {
            try videoFrame(frame, decoder: decoder)
        } else {
            try audioFrame(frame, stream: stream)
        }
    }

    mutating func run(input: InputFile, videoDecoder: Decoder?, audioDecoders: [Int: Decoder], duration: Double?,
                      started: Date, isCancelled: () -> Bool, progress: (TranscodeProgress) -> Void) throws {
        let packet = try Packet()
        let frame = try Frame()
        let videoIndex = plan.video?.sourceStreamIndex
        self.videoDecoder = videoDecoder
        if let videoIndex, let decoder = videoDecoder { timeBases[videoIndex] = decoder.timeBase }
        for (index, decoder) in audioDecoders { timeBases[index] = decoder.timeBase }
        var mediaTime = 0.0
        while try input.read(into: packet) {
            if failure.error != nil { return }
            if pastEnd || (originOnly && origin != nil) { break }
            if isCancelled() { throw CancellationError() }
            let index = packet.streamIndex
            if index == videoIndex, let decoder = videoDecoder {
                try decode(packet, with: decoder, into: frame) { try self.received($0, stream: index) }
                if let t = packet.pts ?? packet.dts { mediaTime = max(mediaTime, seconds(t, decoder.timeBase)) }
            } else if let decoder = audioDecoders[index] {
                try decode(packet, with: decoder, into: frame) { try self.received($0, stream: index) }
                if videoDecoder == nil, let t = packet.pts ?? packet.dts {
                    mediaTime = max(mediaTime, seconds(t, decoder.timeBase))
                }
            }
            if Date().timeIntervalSince(lastProgress) > 0.25 {
                lastProgress = Date()
                report(mediaTime, duration, started, progress)
            }
        }
        if originOnly {
            if origin == nil { try settleOrigin() }
            return
        }
        // End of input: drain decoders, the filter, the converters and the audio encoders. A chunk that
        // ended before the input did stops here: its last frame is followed by the next chunk's.
        if let decoder = videoDecoder, let videoIndex, !pastEnd {
            try decode(nil, with: decoder, into: frame) { try self.received($0, stream: videoIndex) }
        }
        for (index, decoder) in audioDecoders.sorted(by: { $0.key < $1.key }) {
            try decode(nil, with: decoder, into: frame) { try self.received($0, stream: index) }
        }
        try settleOrigin()
        if videoDecoder != nil && !pastEnd {
            if let filter, let end = lastVideoEnd {
                try filter.close(at: end)
                try pullFiltered(filter)
            }
        }
        for track in tracks { try track.finish() }
        report(duration ?? mediaTime, duration, started, progress)
    }

    private func seconds(_ t: Int64, _ tb: Rational) -> Double { Double(t) * tb.doubleValue }

    private func report(_ time: Double, _ duration: Double?, _ started: Date, _ progress: (TranscodeProgress) -> Void) {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let fraction = duration.map { $0 > 0 ? min(1, max(0, time / $0)) : 1 }
        progress(TranscodeProgress(mediaTime: time, fraction: fraction, frames: framesOut,
                                   framesPerSecond: Double(framesOut) / elapsed))
    }

    /// send/receive loop of one packet (or nil to drain), calling `body` for each decoded frame.
    private func decode(_ packet: Packet?, with decoder: Decoder, into frame: Frame,
                        _ body: (Frame) throws -> Void) throws {
        var sent = try decoder.send(packet)
        while true {
            let r = try decoder.receive(into: frame)
            if r == .output { try body(frame); continue }
            if !sent { sent = try decoder.send(packet); if sent { continue } }
            return
        }
    }

    private mutating func videoFrame(_ frame: Frame, decoder: Decoder) throws {
        guard let video = plan.video else { return }
        decodedVideoFrames += 1
        // Frames without timestamps get them from the frame count; the end of the last frame tells the
        // fps filter how long that frame lasts (without it the last frame would be dropped).
        let nominal = max(1, Int64((video.frameDuration / decoder.timeBase).doubleValue.rounded()))
        let shift = Int64(((origin ?? 0) / decoder.timeBase.doubleValue).rounded())
        let pts = (frame.bestEffortTimestamp ?? frame.pts).map { $0 - shift } ?? (lastVideoEnd ?? 0)
        frame.pts = pts
        let duration = frame.packetDuration > 0 ? frame.packetDuration : nominal
        lastVideoEnd = max(lastVideoEnd ?? Int64.min, pts + duration)
        if filter == nil {
            filter = try VideoFilter(
                width: frame.width, height: frame.height, pixelFormat: frame.pixelFormatValue,
                timeBase: decoder.timeBase, sampleAspectRatio: frame.sampleAspectRatio,
                chain: Self.filterChain(video), outputFrameRate: video.frameRate)
        }
        guard let filter else { return }
        try filter.push(frame)
        try pullFiltered(filter)
    }

    private mutating func pullFiltered(_ filter: VideoFilter) throws {
        while true {
            let out = try Frame()
            guard try filter.pull(into: out) == .output else { return }
            let index = framesOut
            framesOut += 1
            if let frames {
                if index < frames.start { continue }
                if let end = frames.end, index >= end { pastEnd = true; return }
            }
            let shared = try SharedFrame(taking: out, index: index)
            for worker in workers where !worker.queue.put(shared) { return }
        }
    }

    private func audioFrame(_ frame: Frame, stream: Int) throws {
        let start = (frame.bestEffortTimestamp ?? frame.pts).flatMap { t in
            timeBases[stream].map { Double(t) * $0.doubleValue - (origin ?? 0) }
        }
        for track in tracks where track.track.sourceStreamIndex == stream { try track.add(frame, at: start) }
    }

    /// The libavfilter chain for the source: deinterlace, turn upright, constant frame rate.
    static func filterChain(_ video: VideoPlan) -> String {
        var chain: [String] = []
        if video.deinterlace { chain.append("bwdif=mode=send_frame:parity=auto:deint=all") }
        switch video.rotation {
        case 90: chain.append("transpose=clock")
        case 180: chain.append("hflip,vflip")
        case 270: chain.append("transpose=cclock")
        default: break
        }
        // start_time=0: the first frame is repeated back to the timeline's start when the video starts
        // after the audio, and frames before it are dropped.
        chain.append("fps=\(video.frameRate.numerator)/\(video.frameRate.denominator):start_time=0")
        return chain.joined(separator: ",")
    }
}
