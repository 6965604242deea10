internal import FFmpeg
public import MediaCore

/// Reads already encoded H.264 and AAC-LC streams (MP4, MOV, MKV, TS…) as `EncodedSample`s on the
/// 10 MHz clock, for `smoothpack package`: libavformat demuxes, nothing is decoded or re-encoded.
public final class PreEncodedSource {
    /// One usable stream of the file.
    public struct Track: Sendable, Equatable {
        public var streamIndex: Int
        public var config: CodecConfig
        /// Declared bitrate, or bytes × 8 / duration when the container has none (bits per second).
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
        let size = info.fileSize
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
                                    bitrate: Self.bitrate(p, fileSize: size), language: nil))
            case .audio where p.codec == "aac":
                guard p.profile == 1 || p.profile == -99,   // FF_PROFILE_AAC_LOW, or unknown
                      let asc = AudioCodecConfig.lcAudioSpecificConfig(sampleRate: p.sampleRate, channels: p.channels)
                else {
                    refused.append("stream \(p.index): AAC profile \(p.profile) is not AAC-LC"); continue
                }
                tracks.append(Track(streamIndex: p.index,
                                    config: .audio(AudioCodecConfig(audioSpecificConfig: asc, sampleRate: p.sampleRate,
                                                                    channels: p.channels)),
                                    bitrate: Self.bitrate(p, fileSize: size), language: p.language))
            case .video, .audio:
                refused.append("stream \(p.index): \(p.codec) (only H.264 video and AAC-LC audio are packaged)")
            case .other:
                continue
            }
        }
    }

    private static func bitrate(_ p: StreamParameters, fileSize: Int64) -> Int {
        if p.bitRate > 0 { return p.bitRate }
        let seconds = Double(p.duration) * p.timeBase.doubleValue
        return seconds > 0 ? Int(Double(fileSize) * 8 / seconds) : 0
    }

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
            states[index] = StreamState(kind: p.kind, timeBase: p.timeBase, lengthSize: lengthSize,
                                        isAnnexB: p.extradata.first != 1, sampleRate: p.sampleRate,
                                        streamDuration: p.duration)
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

    init(kind: StreamParameters.Kind, timeBase: Rational, lengthSize: Int, isAnnexB: Bool, sampleRate: Int,
         streamDuration: Int64) {
        self.streamDuration = streamDuration
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
                throw TranscodeError(path: path, message: "video packet without timestamps")
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
            let decodeTime = Clock.time(ofUnit: dts - d0, unitDuration: timeBase)
            sample = EncodedSample(data: data, decodeTime: decodeTime,
                                   presentationTime: Clock.time(ofUnit: pts - p0, unitDuration: timeBase),
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
