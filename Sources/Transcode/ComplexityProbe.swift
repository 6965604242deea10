internal import FFmpeg
internal import MediaCore
public import Planning
internal import Foundation

/// The per-title analysis: short constant-quality (CRF) encodes of a few sampled segments of the source at
/// two small sizes, with the top rung's x264 settings, giving the bits per second the quality target needs
/// there (``ComplexityMeasurement``); ``PerTitlePlanner`` extrapolates them to every rung.
///
/// Segments are spread evenly over the source (seeking to each); a source shorter than the samples is
/// encoded whole as one segment. Every segment starts a fresh encoder, as every fragment starts an IDR.
/// Blocking.
public enum ComplexityProbe {
    /// Short sides of the probe encodes (the width follows the top rung's aspect).
    public static let probeShortSides = [216, 432]

    public static func measure(sourcePath: String, plan: LadderPlan, settings: PerTitleSettings,
                               isCancelled: () -> Bool = { false }) throws -> ComplexityMeasurement {
        let started = Date()
        guard let video = plan.video, let top = video.rungs.first else {
            throw TranscodeError(path: sourcePath, message: "per-title analysis needs a video rung")
        }
        let input: InputFile
        do { input = try InputFile(path: sourcePath) } catch { throw error.about(sourcePath) }
        let duration = input.probe().duration ?? 0
        let decoder = try Decoder(input: input, streamIndex: video.sourceStreamIndex)
        input.discardAll(except: [video.sourceStreamIndex])

        // Probe sizes in the top rung's aspect, never above the top rung.
        let sizes: [(Int, Int)] = probeShortSides.map { short in
            let portrait = top.height > top.width
            let s = min(short, min(top.width, top.height))
            let long = Int((Double(s) * Double(max(top.width, top.height)) / Double(min(top.width, top.height))).rounded())
            let (w, h) = portrait ? (s, long) : (long, s)
            return (max(2, w - w % 2), max(2, h - h % 2))
        }
        var encoding = top.encoding
        (encoding.bitrate, encoding.maxrate, encoding.bufsize, encoding.crf) = (0, 0, 0, settings.crf)

        // Segment starts (seconds): evenly spread; a short source gets one segment from its middle, a quarter
        // of it long (at least 1 s), so the analysis stays a small share of the encode.
        let length = settings.sampleSeconds
        var starts: [Double] = [0]
        var segmentLength = Double.infinity
        if duration > Double(settings.samples) * length * 1.5 {
            starts = (0..<settings.samples).map { i in (Double(i) + 0.5) * duration / Double(settings.samples) - length / 2 }
            segmentLength = length
        } else if duration > 4 {
            segmentLength = max(1, duration / 4)
            starts = [(duration - segmentLength) / 2]
        }

        var bytes = [Int64](repeating: 0, count: sizes.count)
        var frames: Int64 = 0
        let packet = try Packet()
        let frame = try Frame()
        for start in starts {
            if isCancelled() { throw CancellationError() }
            if start > 0 {
                try input.seek(toSeconds: start)
                decoder.flush()
            }
            let encoders = try sizes.map { w, h in
                try Encoder.h264(encoding, width: w, height: h, frameDuration: video.frameDuration,
                                 gopSize: video.framesPerFragment)
            }
            let scalers = sizes.map { Scaler(width: $0.0, height: $0.1) }
            var taken: Int64 = 0
            var firstTime: Double?
            var done = false
            func encode(_ f: Frame) throws {
                guard !done else { return }
                let t = f.seconds(in: decoder.timeBase) ?? 0
                if start > 0 && t + 0.0005 < start { return }   // decoded from the key frame before the start
                if firstTime == nil { firstTime = t }
                if t - (firstTime ?? t) >= segmentLength { done = true; return }
                let shared = try SharedFrame(taking: try f.ref(), index: taken)
                for (i, encoder) in encoders.enumerated() {
                    let scaled = try scalers[i].scale(shared)
                    scaled.pts = taken
                    scaled.forceKeyFrame(taken % Int64(video.framesPerFragment) == 0)
                    try encoder.send(scaled)
                    while try encoder.receive(into: packet) == .output { bytes[i] += Int64(packet.withBytes { $0.count }) }
                }
                taken += 1
            }
            reading: while !done, try input.read(into: packet) {
                guard packet.streamIndex == video.sourceStreamIndex else { continue }
                var sent = try decoder.send(packet)
                while true {
                    let r = try decoder.receive(into: frame)
                    if r == .output { try encode(frame); if done { break reading }; continue }
                    if !sent { sent = try decoder.send(packet); if sent { continue } }
                    break
                }
            }
            if !done {   // end of file: drain the decoder
                _ = try decoder.send(nil)
                while !done, try decoder.receive(into: frame) == .output { try encode(frame) }
            }
            for (i, encoder) in encoders.enumerated() {
                try encoder.send(nil)
                while try encoder.receive(into: packet) == .output { bytes[i] += Int64(packet.withBytes { $0.count }) }
            }
            frames += taken
        }
        guard frames > 0 else { throw TranscodeError(path: sourcePath, message: "per-title analysis decoded no video frames") }
        let seconds = Double(frames) * video.frameDuration.doubleValue
        let points = sizes.enumerated().map { i, size in
            ComplexityMeasurement.Point(width: size.0, height: size.1, bitsPerSecond: Double(bytes[i]) * 8 / seconds)
        }
        return ComplexityMeasurement(crf: settings.crf, points: points, sampledSeconds: seconds, segments: starts.count,
                                     elapsed: Date().timeIntervalSince(started))
    }
}
