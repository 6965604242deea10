internal import FFmpeg
public import MediaCore

/// Reads already encoded H.264 and AAC-LC streams (MP4, MOV, MKV, TS…) as `EncodedSample`s on the
/// 10 MHz clock, for `smoothpack package`: libavformat demuxes, nothing is decoded or re-encoded.
public final class PreEncodedSource {
    /// One usable stream of the file.
    public struct Track: Sendable, Equatable {
        public var streamIndex: Int
        public var config: CodecConfig
        /// The container's bitrate for the stream (bits per second), or 0 when it declares none (Matroska;
        /// H.264 in MPEG-TS): the packager then measures the samples it writes.
        public var bitrate: Int
        public var language: String?
    }

    public let path: String
    public private(set) var tracks: [Track] = []
    /// Streams present but unusable for Smooth Streaming (e.g. HEVC, HE-AAC), with the reason.
    public private(set) var refused: [String] = []

    public init(path: String) throws {
        self.path = path
        let input: InputFile
        do { input = try InputFile(path: path) } catch { throw error.about(path) }
        let info = input.probe()
        for p in input.streamParameters {
            switch p.kind {
            case .video where p.codec == "h264":
                guard let sets = H264.parameterSets(fromExtradata: p.extradata) else {
                    refused.append("stream \(p.index): H.264 without SPS/PPS in its extradata"); continue
                }
                let rate = info.videoStreams.first { $0.index == p.index }?.frameRate ?? Rational(25, 1)
                let frame = rate.inverted
                tracks.append(Track(streamIndex: p.index,
                                    config: .video(VideoCodecConfig(sps: sets.sps, pps: sets.pps, width: p.width,
                                                                    height: p.height, frameDuration: frame)),
                                    bitrate: Self.bitrate(p), language: nil))
            case .audio where p.codec == "aac":
                guard p.profile == 1 || p.profile == -99 else {   // FF_PROFILE_AAC_LOW, or unknown
                    refused.append("stream \(p.index): AAC profile \(p.profile) is not AAC-LC"); continue
                }
                guard let asc = AudioCodecConfig.lcAudioSpecificConfig(sampleRate: p.sampleRate, channels: p.channels) else {
                    refused.append("stream \(p.index): AAC-LC at \(p.sampleRate) Hz with \(p.channels) channels has no "
                                   + "2-byte AudioSpecificConfig (rates 7350…96000 Hz; 1–6 or 8 channels)")
                    continue
                }
                tracks.append(Track(streamIndex: p.index,
                                    config: .audio(AudioCodecConfig(audioSpecificConfig: asc, sampleRate: p.sampleRate,
                                                                    channels: p.channels)),
                                    bitrate: Self.bitrate(p), language: p.language))
            case .video, .audio:
                refused.append("stream \(p.index): \(p.codec) (only H.264 video and AAC-LC audio are packaged)")
            case .other:
                continue
            }
        }
    }

    private static func bitrate(_ p: StreamParameters) -> Int { max(0, p.bitRate) }

    /// Decode times (10 MHz) of the IDR access units of video stream `streamIndex`: the first pass of
    /// the alignment check. Only timestamps and NAL headers are looked at.
    public func syncTimes(streamIndex: Int) throws -> [Int64] {
        var times: [Int64] = []
        try read(streamIndexes: [streamIndex]) { _, sample in
            if sample.isSync { times.append(sample.decodeTime) }
        }
        return times
    }

    /// Reads the given streams in one pass and hands each sample (in decode order per stream) to `body`.
    /// Video times come from the container's timestamps; AAC times from the frame count (1024 samples each).
    public func read(streamIndexes: Set<Int>, _ body: (Int, EncodedSample) throws -> Void) throws {
        let input: InputFile
        do { input = try InputFile(path: path) } catch { throw error.about(path) }
        input.discardAll(except: streamIndexes)
        let params = Dictionary(uniqueKeysWithValues: input.streamParameters.map { ($0.index, $0) })
        var states: [Int: StreamState] = [:]
        for index in streamIndexes {
            guard let p = params[index] else { continue }
            let lengthSize = p.kind == .video ? (H264.parameterSets(fromExtradata: p.extradata)?.lengthSize ?? 4) : 0
            var frame = Rational(1, 25)
            if case .video(let config)? = tracks.first(where: { $0.streamIndex == index })?.config {
                frame = config.frameDuration
            }
            states[index] = StreamState(kind: p.kind, timeBase: p.timeBase, lengthSize: lengthSize,
                                        isAnnexB: p.extradata.first != 1, sampleRate: p.sampleRate,
                                        streamDuration: p.duration, frameDuration: frame)
        }
        let packet = try Packet()
        do {
            while try input.read(into: packet) {
                let index = packet.streamIndex
                guard let state = states[index] else { continue }
                if let ready = try state.push(packet, path: path) { try body(index, ready) }
            }
        } catch let error as FFmpegError {
            throw error.about(path)
        }
        for index in streamIndexes.sorted() {
            if let last = states[index]?.finish() { try body(index, last) }
        }
    }
}

/// Per-stream conversion of packets to samples, one packet behind so durations come from the next
/// packet's decode time (never from rounded per-packet durations).
private final class StreamState {
    let kind: StreamParameters.Kind
    let timeBase: Rational
    let lengthSize: Int
    let isAnnexB: Bool
    let sampleRate: Int
    var firstDTS: Int64?
    var firstPTS: Int64?
    var count: Int64 = 0
    var pending: EncodedSample?
    var pendingRawDuration: Int64 = 0
    var lastDuration: Int64 = 0
    /// The container's stream duration in its time base (0 when unknown): where the last sample ends.
    let streamDuration: Int64
    /// One frame at the declared frame rate (seconds).
    let frameDuration: Rational
    /// Set when the first video packet has no decode time (Matroska stores presentation times only):
    /// every decode time of the stream is then derived from the presentation times, never taken from
    /// libavformat's guesses for the later packets.
    var derived: DerivedDecodeTimes?

    init(kind: StreamParameters.Kind, timeBase: Rational, lengthSize: Int, isAnnexB: Bool, sampleRate: Int,
         streamDuration: Int64, frameDuration: Rational) {
        self.streamDuration = streamDuration
        self.frameDuration = frameDuration
        self.kind = kind
        self.timeBase = timeBase
        self.lengthSize = lengthSize
        self.isAnnexB = isAnnexB
        self.sampleRate = sampleRate
    }

    func push(_ packet: Packet, path: String) throws -> EncodedSample? {
        let sample: EncodedSample
        if kind == .audio {
            let unit = Rational(1, Int64(max(sampleRate, 1)))
            let start = Clock.time(ofUnit: count * 1024, unitDuration: unit)
            let end = Clock.time(ofUnit: (count + 1) * 1024, unitDuration: unit)
            count += 1
            sample = EncodedSample(data: packet.withBytes { Array($0) }, decodeTime: start, presentationTime: start,
                                   duration: end - start, isSync: true)
        } else {
            guard let dts = packet.dts ?? packet.pts, let pts = packet.pts ?? packet.dts else {
                throw TranscodeError(path: path, message: "video packet without timestamps (a raw H.264 stream has none: "
                                     + "mux it into MP4 or Matroska with its frame rate first)")
            }
            if firstPTS == nil, packet.dts == nil {
                derived = DerivedDecodeTimes(frame: frameDuration)
            }
            let d0 = firstDTS ?? dts
            let p0 = firstPTS ?? pts
            firstDTS = d0
            firstPTS = p0
            let converted = packet.withBytes { bytes in
                isAnnexB ? H264.lengthPrefixed(fromAnnexB: bytes) : H264.normalisedLengthPrefixed(bytes, lengthSize: lengthSize)
            }
            guard let (data, idr) = converted else {
                throw TranscodeError(path: path, message: "corrupt H.264 sample at dts \(dts)")
            }
            let presentationTime = Clock.time(ofUnit: pts - p0, unitDuration: timeBase)
            let decodeTime = derived?.next(presentationTime: presentationTime)
                ?? Clock.time(ofUnit: dts - d0, unitDuration: timeBase)
            sample = EncodedSample(data: data, decodeTime: decodeTime, presentationTime: presentationTime,
                                   duration: 0, isSync: idr)
        }
        defer {
            pending = sample
            pendingRawDuration = packet.duration
        }
        guard var previous = pending else { return nil }
        if kind == .video {
            previous.duration = sample.decodeTime - previous.decodeTime
            lastDuration = previous.duration
        }
        return previous
    }

    /// The last sample ends where the stream does: libavformat's per-packet durations are averages for
    /// fragmented files, but the stream duration is exact. Falls back to the packet's own duration (video)
    /// or a whole AAC frame (audio) when the stream duration does not fit.
    func finish() -> EncodedSample? {
        guard var last = pending else { return nil }
        pending = nil
        let nominal: Int64
        if kind == .video {
            let own = Clock.time(ofUnit: pendingRawDuration, unitDuration: timeBase)
            nominal = own > 0 ? own : max(lastDuration, 1)
        } else {
            nominal = last.duration
        }
        let end = streamDuration > 0 ? Clock.time(ofUnit: streamDuration, unitDuration: timeBase) : 0
        let fromEnd = end - last.decodeTime
        last.duration = fromEnd > 0 && fromEnd <= nominal + nominal / 2 ? fromEnd : nominal
        return last
    }
}

/// Decode times for a video stream whose container stores only presentation times (Matroska: libavformat
/// reports no DTS for the first packets and guesses the later ones from its own reorder estimate).
///
/// H.264 reorders at most 16 frames (the DPB holds 16), so a frame's presentation time is never below the
/// (i − 16)-th smallest presentation time of the first i + 1 frames in decode order. Decode time i is that
/// value, measured from the smallest presentation time and shifted by 16 frame durations; the first 16
/// frames get 0, 1, … frame durations (computed from the frame count, docs/format.md §7.4). The result
/// increases strictly, and with evenly spaced frames it is i frame durations: what an encoder's own decode
/// times would be, so the IDR that opens each fragment shows at the fragment's time (composition offset 0,
/// docs/format.md §1.5 option A) and B-frames get the usual negative offsets.
struct DerivedDecodeTimes {
    static let reorderLimit = 16
    /// One frame at the declared frame rate (seconds).
    let frame: Rational
    /// Presentation times seen and not yet used, ascending (at most `reorderLimit` + 1 of them).
    private var waiting: [Int64] = []
    private var count = 0
    private var origin: Int64?
    private var last: Int64?

    init(frame: Rational) {
        self.frame = frame.numerator > 0 && frame.denominator > 0 ? frame : Rational(1, 25)
    }

    /// The decode time of the next frame in decode order, given its presentation time (10 MHz).
    mutating func next(presentationTime: Int64) -> Int64 {
        let at = waiting.firstIndex { $0 > presentationTime } ?? waiting.endIndex
        waiting.insert(presentationTime, at: at)
        defer { count += 1 }
        let candidate: Int64
        if count < Self.reorderLimit {
            candidate = Clock.time(ofUnit: Int64(count), unitDuration: frame)
        } else {
            let smallest = waiting.removeFirst()
            let o = origin ?? smallest
            origin = o
            candidate = Clock.time(ofUnit: Int64(Self.reorderLimit), unitDuration: frame) + (smallest - o)
        }
        // Equal presentation times (a broken file) must not give a zero duration.
        let t = last.map { max(candidate, $0 + 1) } ?? candidate
        last = t
        return t
    }
}
