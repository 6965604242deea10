internal import FFmpeg
public import MediaCore
internal import Planning

/// Measures one video rung while it encodes: every encoded packet is decoded again (as a player would)
/// and scored against the very frame the encoder was given (the source after the shared filter chain,
/// scaled by the rung's scaler), so the source is decoded only once. Runs on the rung's thread.
///
/// Memory: the references of frames still inside the encoder (its lookahead and B-frame delay) are held,
/// a bounded number whatever the source's length; per-frame scores are 40 bytes a frame.
final class QualityMeter {
    private let decoder: H264Decoder
    private let comparer: QualityComparer
    private var references: [Int64: Frame] = [:]
    private let decoded: Frame
    private(set) var scores: [FrameScores] = []

    init(config: VideoCodecConfig) throws {
        var extradata: [UInt8] = []
        for set in [config.sps, config.pps] { extradata += [0, 0, 0, 1] + set }
        decoder = try H264Decoder(extradata: extradata)
        comparer = try QualityComparer(width: config.width, height: config.height)
        decoded = try Frame()
    }

    /// The frame given to the encoder as frame `index` (kept until its decoded twin arrives).
    func reference(_ frame: Frame, index: Int64) throws {
        references[index] = try frame.ref()
    }

    /// A packet the encoder produced (nil at the end: drain the decoder and the graph).
    func encoded(_ packet: Packet?) throws {
        var sent = try decoder.send(packet)
        while true {
            let r = try decoder.receive(into: decoded)
            if r == .output { try score(); continue }
            if !sent { sent = try decoder.send(packet); if sent { continue } }
            break
        }
        if packet == nil { scores += try comparer.finish() }
    }

    private func score() throws {
        guard let index = decoded.bestEffortTimestamp ?? decoded.pts, let ref = references.removeValue(forKey: index) else {
            throw TranscodeError(path: "", message: "quality: decoded frame without a matching reference")
        }
        // Frames the decoder skipped (none for our own streams) would otherwise pin their references.
        for key in references.keys where key < index { references[key] = nil }
        scores += try comparer.push(decoded: decoded, reference: ref, index: index)
    }

    /// The rung's summary, or nil when nothing was scored.
    func result(rung: VideoRung, framesPerFragment: Int) -> RungQuality? {
        RungQuality(rung: rung.name, width: rung.width, height: rung.height,
                    frames: scores.sorted { $0.index < $1.index }, framesPerFragment: framesPerFragment)
    }
}

/// Takes one JPEG of the top rung's picture every `interval` frames (the report's thumbnail strip).
final class Thumbnailer {
    private let interval: Int64
    private let encoder: JPEGEncoder
    private(set) var pictures: [Thumbnail] = []

    init(everyFrames interval: Int64, width: Int, rung: VideoRung) throws {
        self.interval = max(1, interval)
        encoder = try JPEGEncoder(width: width, sourceWidth: rung.width, sourceHeight: rung.height)
    }

    func offer(_ frame: Frame, index: Int64, frameDuration: Rational) throws {
        guard index % interval == 0 else { return }
        pictures.append(Thumbnail(time: Double(index) * frameDuration.doubleValue, jpeg: try encoder.encode(frame)))
    }
}

/// One thumbnail: its time in seconds and its JPEG bytes.
public struct Thumbnail: Sendable, Equatable {
    public var time: Double
    public var jpeg: [UInt8]
}

/// What a transcode measured besides the media: quality per video rung and thumbnails.
public struct TranscodeMeasurements: Sendable, Equatable {
    /// In rung order; empty unless quality measurement was asked for.
    public var quality: [RungQuality] = []
    /// From the top rung, in time order.
    public var thumbnails: [Thumbnail] = []
}

extension LadderTranscoder {
    /// Gives a rung's worker its quality meter and (top rung) thumbnailer, as asked.
    func attachMeasurements(_ worker: RungWorker, rung: VideoRung, video: VideoPlan) throws {
        if measureQuality { worker.meter = try QualityMeter(config: worker.config) }
        if let interval = thumbnailInterval, interval > 0, worker.rendition == .video(index: 0, rung: rung) {
            let frames = Int64((interval / video.frameDuration.doubleValue).rounded())
            worker.thumbnails = try Thumbnailer(everyFrames: frames, width: thumbnailWidth, rung: rung)
        }
    }

    /// What the workers measured, read after their threads ended.
    func collectMeasurements(_ workers: [RungWorker]) -> TranscodeMeasurements {
        var m = TranscodeMeasurements()
        let per = plan.video?.framesPerFragment ?? 1
        for worker in workers {
            guard case .video(_, let rung) = worker.rendition else { continue }
            if let q = worker.meter?.result(rung: rung, framesPerFragment: per) { m.quality.append(q) }
            if let t = worker.thumbnails { m.thumbnails += t.pictures }
        }
        return m
    }
}
