internal import FFmpeg
internal import MediaCore
internal import Planning

/// One video rung on its own thread: scale each shared frame, encode with libx264, hand samples to the
/// sink. Owns its FFmpeg objects; nothing else touches them once the thread starts.
///
/// Stays `@unchecked Sendable`: it is built on the calling thread (the encoder must open before any work
/// starts, and the sink comes from the caller's non-Sendable factory), then handed once to its own thread,
/// which alone uses the encoder, scaler, sink and counters; the caller touches only ``queue`` (Sendable)
/// and reads ``summary`` after joining the thread (`DispatchGroup.wait`, a happens-before edge).
final class RungWorker: @unchecked Sendable {
    let rendition: Rendition
    let queue: BoundedQueue<SharedFrame>
    private let encoder: Encoder
    private let scaler: Scaler
    private let sink: any RenditionSink
    private let failure: FirstError
    private let path: String
    private let gop: Int64
    private let frameDuration: Rational
    let config: VideoCodecConfig
    /// Output frame index of the first frame this worker encodes (0, or a chunk's first frame).
    private let firstFrame: Int64
    private var decodeIndex: Int64
    private var firstPresentationIndex: Int64?
    private(set) var summary: TranscodeSummary.Output?
    /// Optional measurement (QualityMeter.swift), set before the thread starts and read after it ends.
    var meter: QualityMeter?
    var thumbnails: Thumbnailer?

    init(rendition: Rendition, rung: VideoRung, video: VideoPlan, sink: any RenditionSink, depth: Int,
         failure: FirstError, path: String, firstFrame: Int64 = 0) throws {
        self.rendition = rendition
        self.firstFrame = firstFrame
        decodeIndex = firstFrame
        self.sink = sink
        self.failure = failure
        self.path = path
        gop = Int64(video.framesPerFragment)
        frameDuration = video.frameDuration
        queue = BoundedQueue(capacity: depth)
        scaler = Scaler(width: rung.width, height: rung.height)
        encoder = try Encoder.h264(rung.encoding, width: rung.width, height: rung.height,
                                   frameDuration: video.frameDuration, gopSize: video.framesPerFragment)
        guard let sets = H264.parameterSets(fromExtradata: encoder.extradata) else {
            throw TranscodeError(path: path, message: "libx264 gave no SPS/PPS for \(rendition.label)")
        }
        config = VideoCodecConfig(sps: sets.sps, pps: sets.pps, width: rung.width, height: rung.height,
                                  frameDuration: video.frameDuration)
        summary = TranscodeSummary.Output(rendition: rendition, config: .video(config), sampleCount: 0,
                                          syncSampleCount: 0, bytes: 0, duration: 0)
    }

    func run() {
        do {
            try sink.start(.video(config))
            let packet = try Packet()
            while let shared = queue.take() {
                if failure.error != nil { break }
                let scaled = try scaler.scale(shared)
                scaled.pts = shared.index
                scaled.forceKeyFrame(shared.index % gop == 0)
                try meter?.reference(scaled, index: shared.index)
                try thumbnails?.offer(scaled, index: shared.index, frameDuration: frameDuration)
                try encoder.send(scaled)
                try drain(packet)
            }
            if failure.error != nil { return }
            try encoder.send(nil)
            try drain(packet)
            try meter?.encoded(nil)
            try sink.finish()
        } catch {
            failure.record(error)
            queue.abort()
        }
    }

    private func drain(_ packet: Packet) throws {
        while try encoder.receive(into: packet) == .output {
            try emit(packet)
            try meter?.encoded(packet)
        }
    }

    /// Packet k in decode order becomes a sample at decode time T(k); its presentation time is T(pts)
    /// shifted so the first sample's presentation equals its decode time (docs/format.md §1.5, option A).
    /// A chunk starting at output frame F (closed GOPs, F on the grid) counts both from F, so its samples carry
    /// the times the same frames have in a whole encode.
    private func emit(_ packet: Packet) throws {
        guard let pts = packet.pts else {
            throw TranscodeError(path: path, message: "libx264 packet without a timestamp (\(rendition.label))")
        }
        let shift = firstPresentationIndex ?? pts
        firstPresentationIndex = shift
        let presentationIndex = pts - shift + firstFrame
        var (data, hasIDR) = packet.withBytes { H264.lengthPrefixed(fromAnnexB: $0) }
        if firstFrame > 0 && decodeIndex == firstFrame { data = H264.removingSEI(data) }
        let onGrid = presentationIndex % gop == 0
        if packet.isKey != onGrid || hasIDR != onGrid {
            throw TranscodeError(path: path, message: "\(rendition.label): key frame at frame \(presentationIndex) "
                                 + "is off the \(gop)-frame fragment grid")
        }
        let k = decodeIndex
        decodeIndex += 1
        let decodeTime = Clock.time(ofUnit: k, unitDuration: frameDuration)
        let sample = EncodedSample(
            data: data, decodeTime: decodeTime,
            presentationTime: Clock.time(ofUnit: presentationIndex, unitDuration: frameDuration),
            duration: Clock.time(ofUnit: k + 1, unitDuration: frameDuration) - decodeTime, isSync: packet.isKey)
        summary?.sampleCount += 1
        summary?.syncSampleCount += packet.isKey ? 1 : 0
        summary?.bytes += Int64(data.count)
        summary?.duration += sample.duration
        try sink.append(sample)
    }
}

/// One audio output track: resample/downmix, cut into 1024-sample frames, encode AAC-LC.
/// Runs on the demuxing thread.
final class AudioTrackEncoder {
    let rendition: Rendition
    let track: AudioPlan
    private let converter: AudioConverter
    private let encoder: Encoder
    private let sink: any RenditionSink
    private let packet: Packet
    let config: AudioCodecConfig
    private var packetIndex: Int64 = 0
    /// The newest packet, held back so that the last one's duration can be cut to the real end.
    private var pending: EncodedSample?
    private(set) var summary: TranscodeSummary.Output?

    init(rendition: Rendition, track: AudioPlan, sink: any RenditionSink, path: String) throws {
        self.rendition = rendition
        self.track = track
        self.sink = sink
        encoder = try Encoder.aac(sampleRate: track.sampleRate, channels: track.channels, bitrate: track.bitrate)
        converter = try AudioConverter(sampleRate: track.sampleRate, channels: track.channels,
                                       frameSize: max(encoder.frameSize, 1))
        packet = try Packet()
        // libavcodec's aac encoder adds a 3-byte "no SBR" extension to the ASC; clients want the plain
        // 2-byte AAC-LC config, the same bytes in esds and in the manifest (docs/format.md §4.4).
        // A rate or channel count without such a config (7 channels) is refused, never cut to 2 bytes.
        guard let asc = AudioCodecConfig.lcAudioSpecificConfig(sampleRate: track.sampleRate, channels: track.channels) else {
            throw TranscodeError(path: path, message: "\(rendition.label): AAC-LC at \(track.sampleRate) Hz with "
                                 + "\(track.channels) channels has no 2-byte AudioSpecificConfig (1–6 or 8 channels)")
        }
        config = AudioCodecConfig(audioSpecificConfig: asc, sampleRate: track.sampleRate, channels: track.channels,
                                  samplesPerFrame: max(encoder.frameSize, 1))
        summary = TranscodeSummary.Output(rendition: rendition, config: .audio(config), sampleCount: 0,
                                          syncSampleCount: 0, bytes: 0, duration: 0)
    }

    func start() throws { try sink.start(.audio(config)) }

    /// Adds a decoded frame starting `start` seconds into the presentation timeline (nil: unknown).
    func add(_ frame: Frame, at start: Double?) throws {
        try converter.add(frame, at: start)
        while let chunk = try converter.nextFrame() { try encode(chunk) }
    }

    func finish() throws {
        try converter.add(nil)
        while let chunk = try converter.nextFrame(final: true) { try encode(chunk) }
        try encoder.send(nil)
        try drain()
        // The timeline ends where the audio does: priming + every converted sample. The last AAC frame
        // is partly padding, so its duration is cut to that end (it stays a whole access unit).
        if var last = pending {
            let unit = Rational(1, Int64(track.sampleRate))
            let end = Clock.time(ofUnit: Int64(encoder.initialPadding) + converter.samplesOut, unitDuration: unit)
            if end > last.decodeTime && end < last.decodeTime + last.duration {
                summary?.duration -= last.duration - (end - last.decodeTime)
                last.duration = end - last.decodeTime
            }
            try sink.append(last)
            pending = nil
        }
        try sink.finish()
    }

    private func encode(_ frame: Frame) throws {
        try encoder.send(frame)
        try drain()
    }

    /// AAC packet k covers samples k·1024 … (k+1)·1024 of a timeline that starts with the encoder's
    /// priming frame at 0 (docs/format.md §7.2: the whole track is shifted by the encoder delay).
    private func drain() throws {
        let unit = Rational(1, Int64(track.sampleRate))
        let frameSize = Int64(config.samplesPerFrame)
        while try encoder.receive(into: packet) == .output {
            let k = packetIndex
            packetIndex += 1
            let start = Clock.time(ofUnit: k * frameSize, unitDuration: unit)
            let end = Clock.time(ofUnit: (k + 1) * frameSize, unitDuration: unit)
            let data = packet.withBytes { Array($0) }
            summary?.sampleCount += 1
            summary?.syncSampleCount += 1
            summary?.bytes += Int64(data.count)
            summary?.duration += end - start
            if let previous = pending { try sink.append(previous) }
            pending = EncodedSample(data: data, decodeTime: start, presentationTime: start, duration: end - start,
                                    isSync: true)
        }
    }
}
