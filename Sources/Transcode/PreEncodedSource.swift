internal import FFmpeg
internal import ISOBMFF
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
    /// Every stream's parameters as the probe found them (libavformat's stream order).
    private var parameters: [Int: StreamParameters] = [:]
    /// Read ``read(streamIndexes:_:)``'s samples from the MP4/MOV sample tables when the file allows it
    /// (``SampleTableReader``), else through libavformat. Off only to compare the two (tests).
    public var readsSampleTables = true
    /// Which way the last ``read(streamIndexes:_:)`` went: true when through the sample tables.
    public private(set) var lastReadUsedSampleTables = false

    public init(path: String) throws {
        self.path = path
        let input: InputFile
        do { input = try InputFile(path: path) } catch { throw error.about(path) }
        let info = input.probe()
        let all = input.streamParameters
        parameters = Dictionary(uniqueKeysWithValues: all.map { ($0.index, $0) })
        formatName = info.container
        for p in all {
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
        if formatName.hasPrefix("mov,") { lastVideoDurations = Self.lastPacketDurations(input, of: tracks) }
    }

    /// libavformat's duration of the last packet of each video track (stream index → time-base units), read
    /// at the end of the probe's open input. The sample-table path hands the samples over with the tables'
    /// durations; libavformat's for the last one can differ (it takes the stream's duration minus the packet's
    /// decode time, which an empty edit shifts), and the last sample's length depends on it (``StreamState``).
    /// Empty when the seek fails or the last key frame is more than `tailPackets` packets from the end (a
    /// stream with key frames far apart is not read twice for this): the file is then read through libavformat.
    private var lastVideoDurations: [Int: Int64] = [:]
    private static let tailPackets = 10_000

    private static func lastPacketDurations(_ input: InputFile, of tracks: [Track]) -> [Int: Int64] {
        let videos = Set(tracks.filter(\.config.isVideo).map(\.streamIndex))
        guard let first = videos.min() else { return [:] }
        var out: [Int: Int64] = [:]
        do {
            try input.seek(stream: first, to: Int64.max / 4)
            let packet = try Packet()
            var count = 0
            while try input.read(into: packet) {
                count += 1
                if count > tailPackets { return [:] }
                if videos.contains(packet.streamIndex) { out[packet.streamIndex] = packet.duration }
            }
        } catch {
            return [:]
        }
        return out
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

    /// libavformat's name of the container format ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", …).
    private var formatName = ""

    /// Reads the given streams in one pass and hands each sample (in decode order per stream) to `body`.
    /// Video times come from the container's timestamps; AAC times from the frame count (1024 samples each).
    ///
    /// An MP4/MOV file whose tracks ``SampleTableReader`` reads is read from its sample tables a page at a
    /// time (memory independent of its length); libavformat would first expand the tables into an index of
    /// every sample (about 30 MB for two hours). The samples, and so the packaged bytes, are the same.
    public func read(streamIndexes: Set<Int>, _ body: (Int, EncodedSample) throws -> Void) throws {
        lastReadUsedSampleTables = false
        if readsSampleTables, formatName.hasPrefix("mov,"), let tables = sampleTables(for: streamIndexes) {
            lastReadUsedSampleTables = true
            return try read(streamIndexes: streamIndexes, tables: tables, body)
        }
        let input: InputFile
        do { input = try InputFile(path: path) } catch { throw error.about(path) }
        input.discardAll(except: streamIndexes)
        let states = streamStates(for: streamIndexes)
        let packet = try Packet()
        do {
            while try input.read(into: packet) {
                let index = packet.streamIndex
                guard let state = states[index] else { continue }
                let ready = try packet.withBytes { bytes in
                    try state.push(dts: packet.dts, pts: packet.pts, duration: packet.duration, bytes: bytes, path: path)
                }
                if let ready { try body(index, ready) }
            }
        } catch let error as FFmpegError {
            throw error.about(path)
        }
        for index in streamIndexes.sorted() {
            if let last = states[index]?.finish() { try body(index, last) }
        }
    }

    /// The file's sample tables when every stream in `indexes` is a track they describe plainly, with the
    /// probe's time base; nil to read through libavformat.
    private func sampleTables(for indexes: Set<Int>) -> (reader: SampleTableReader, ids: [UInt32: Int])? {
        // A file that cannot be opened here is left to libavformat, which reports it as before.
        guard let file = try? ReadableFile(path: path), let reader = SampleTableReader.open(file),
              Set(reader.tracks.map(\.trackID)).count == reader.tracks.count else { return nil }  // IDs name one track each
        var ids: [UInt32: Int] = [:]
        for index in indexes {
            guard let p = parameters[index], p.streamID > 0, p.kind != .video || lastVideoDurations[index] != nil,
                  let t = reader.tracks.first(where: { Int($0.trackID) == p.streamID }), t.unreadable == nil,
                  p.timeBase == Rational(1, Int64(t.timescale)) else { return nil }
            ids[t.trackID] = index
        }
        return (reader, ids)
    }

    private func read(streamIndexes: Set<Int>, tables: (reader: SampleTableReader, ids: [UInt32: Int]),
                      _ body: (Int, EncodedSample) throws -> Void) throws {
        let states = streamStates(for: streamIndexes)
        do {
            try tables.reader.read(trackIDs: Set(tables.ids.keys)) { sample, bytes in
                guard let index = tables.ids[sample.trackID], let state = states[index] else { return }
                let pts = sample.decodeTime + sample.compositionOffset
                if let ready = try state.push(dts: sample.decodeTime, pts: pts, duration: sample.duration, bytes: bytes,
                                              path: path) {
                    try body(index, ready)
                }
            }
        } catch let error as MP4Error {
            throw TranscodeError(path: path, message: error.description)
        }
        for index in streamIndexes.sorted() {
            if let d = lastVideoDurations[index] { states[index]?.pendingRawDuration = d }
            if let last = states[index]?.finish() { try body(index, last) }
        }
    }

    private func streamStates(for streamIndexes: Set<Int>) -> [Int: StreamState] {
        var states: [Int: StreamState] = [:]
        for index in streamIndexes {
            guard let p = parameters[index] else { continue }
            let lengthSize = p.kind == .video ? (H264.parameterSets(fromExtradata: p.extradata)?.lengthSize ?? 4) : 0
            var frame = Rational(1, 25)
            if case .video(let config)? = tracks.first(where: { $0.streamIndex == index })?.config {
                frame = config.frameDuration
            }
            states[index] = StreamState(kind: p.kind, timeBase: p.timeBase, lengthSize: lengthSize,
                                        isAnnexB: p.extradata.first != 1, sampleRate: p.sampleRate,
                                        streamDuration: p.duration, frameDuration: frame)
        }
        return states
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

    /// The next packet of the stream in decode order: times in the stream's time base (nil when unknown),
    /// the container's duration of the packet, its bytes.
    func push(dts packetDTS: Int64?, pts packetPTS: Int64?, duration packetDuration: Int64, bytes: UnsafeRawBufferPointer,
              path: String) throws -> EncodedSample? {
        let sample: EncodedSample
        if kind == .audio {
            let unit = Rational(1, Int64(max(sampleRate, 1)))
            let start = Clock.time(ofUnit: count * 1024, unitDuration: unit)
            let end = Clock.time(ofUnit: (count + 1) * 1024, unitDuration: unit)
            count += 1
            sample = EncodedSample(data: Array(bytes), decodeTime: start, presentationTime: start,
                                   duration: end - start, isSync: true)
        } else {
            guard let dts = packetDTS ?? packetPTS, let pts = packetPTS ?? packetDTS else {
                throw TranscodeError(path: path, message: "video packet without timestamps (a raw H.264 stream has none: "
                                     + "mux it into MP4 or Matroska with its frame rate first)")
            }
            if firstPTS == nil, packetDTS == nil {
                derived = DerivedDecodeTimes(frame: frameDuration)
            }
            let d0 = firstDTS ?? dts
            let p0 = firstPTS ?? pts
            firstDTS = d0
            firstPTS = p0
            let converted = isAnnexB ? H264.lengthPrefixed(fromAnnexB: bytes)
                : H264.normalisedLengthPrefixed(bytes, lengthSize: lengthSize)
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
            pendingRawDuration = packetDuration
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
