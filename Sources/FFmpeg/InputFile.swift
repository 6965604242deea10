internal import CFFmpeg
public import MediaCore

/// Owns an opened input (`AVFormatContext`). C: `avformat_open_input` / `avformat_find_stream_info` /
/// `avformat_close_input`.
public final class InputFile {
    let context: UnsafeMutablePointer<AVFormatContext>
    /// The path as given.
    public let path: String

    /// Opens `path` and reads enough to know its streams. Errors name the file and carry FFmpeg's text.
    public init(path: String) throws(FFmpegError) {
        self.path = path
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        let opened = avformat_open_input(&ctx, path, nil, nil)
        guard opened >= 0, let ctx else {
            throw FFmpegError(code: opened, function: "avformat_open_input", path: path)
        }
        // Before `context` is set: a class whose stored properties are all set runs `deinit` when its init
        // throws, and that would close the context a second time (a double free).
        let found = avformat_find_stream_info(ctx, nil)
        if found < 0 {
            var c: UnsafeMutablePointer<AVFormatContext>? = ctx
            avformat_close_input(&c)
            throw FFmpegError(code: found, function: "avformat_find_stream_info", path: path)
        }
        context = ctx
    }

    deinit {
        var c: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&c)
    }

    public var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        precondition(index >= 0 && index < streamCount, "stream index out of range")
        // nb_streams entries are non-null by libavformat's contract.
        return context.pointee.streams[index]!
    }

    /// Time base of stream `index` in seconds per unit.
    public func timeBase(ofStream index: Int) -> Rational {
        let tb = stream(index).pointee.time_base
        return tb.den > 0 && tb.num > 0 ? Rational(Int64(tb.num), Int64(tb.den)) : Rational(1, 90000)
    }

    /// Start time of stream `index` in its time base, if declared.
    public func startTime(ofStream index: Int) -> Int64? {
        let t = stream(index).pointee.start_time
        return t == cffmpeg_nopts() ? nil : t
    }

    /// Tells the demuxer to drop packets of every stream not in `keep` (saves work on unused tracks).
    public func discardAll(except keep: Set<Int>) {
        for i in 0..<streamCount {
            stream(i).pointee.discard = keep.contains(i) ? AVDISCARD_DEFAULT : AVDISCARD_ALL
        }
    }

    /// Reads the next packet into `packet`; false at end of file. A read error other than EOF throws:
    /// a truncated file is an error, not a short presentation.
    public func read(into packet: Packet) throws(FFmpegError) -> Bool {
        packet.unref()
        let r = av_read_frame(context, packet.raw)
        if r == cffmpeg_eof() { return false }
        if r < 0 { throw FFmpegError(code: r, function: "av_read_frame", path: path) }
        return true
    }

    /// Moves the read position to the key frame of stream `index` at or before `timestamp` (in that stream's
    /// time base). Call before the first read: decoders that already saw packets would need flushing.
    /// C: `av_seek_frame` with `AVSEEK_FLAG_BACKWARD`.
    public func seek(stream index: Int, to timestamp: Int64) throws(FFmpegError) {
        let r = av_seek_frame(context, Int32(index), timestamp, AVSEEK_FLAG_BACKWARD)
        if r < 0 { throw FFmpegError(code: r, function: "av_seek_frame", path: path) }
    }

    /// Codec extradata of stream `index` (avcC or Annex-B for H.264, AudioSpecificConfig for AAC).
    public func extradata(ofStream index: Int) -> [UInt8] {
        let par = stream(index).pointee.codecpar!
        guard let data = par.pointee.extradata, par.pointee.extradata_size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(par.pointee.extradata_size)))
    }
}

/// A snapshot of one stream's codec parameters (no C types).
public struct StreamParameters: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case video, audio, other }
    public var index: Int
    /// The container's own ID of the stream (`AVStream.id`: the `tkhd` track ID in MP4/MOV), 0 when none.
    public var streamID: Int = 0
    public var kind: Kind
    /// Codec short name ("h264", "aac", …).
    public var codec: String
    /// libavcodec profile number (e.g. 1 = AAC LC, 4 = HE-AAC as FF_PROFILE_AAC_HE; 100 = H.264 High).
    public var profile: Int
    /// Declared bitrate in bits per second, 0 when unknown.
    public var bitRate: Int
    public var extradata: [UInt8]
    public var width: Int
    public var height: Int
    public var sampleRate: Int
    public var channels: Int
    /// Seconds per time-base unit.
    public var timeBase: Rational
    /// Stream duration in time-base units, 0 when unknown.
    public var duration: Int64
    public var language: String?
    /// Disposition flags `forced` and `hearing_impaired` (subtitle roles).
    public var isForced = false
    public var isHearingImpaired = false
}

extension InputFile {
    /// libavcodec's short name of a stream's codec, with one repair: FFmpeg 5.1's mov demuxer leaves an MP4
    /// `stpp` track (TTML, ISO 14496-30) as an unidentified data stream (`none`); it is named `ttml`, as later
    /// FFmpeg versions and the muxer name it, so that it is read as captions rather than dropped.
    static func codecName(_ par: AVCodecParameters) -> String {
        if par.codec_id == AV_CODEC_ID_NONE, par.codec_tag == Self.stppTag { return "ttml" }
        return String(cString: avcodec_get_name(par.codec_id))
    }

    /// `stpp` as libavformat stores a four-character code (first character in the low byte).
    static let stppTag: UInt32 = UInt32(UInt8(ascii: "s")) | UInt32(UInt8(ascii: "t")) << 8
        | UInt32(UInt8(ascii: "p")) << 16 | UInt32(UInt8(ascii: "p")) << 24

    /// Codec parameters of every stream.
    public var streamParameters: [StreamParameters] {
        (0..<streamCount).map { i in
            let st = stream(i)
            let par = st.pointee.codecpar!.pointee
            let kind: StreamParameters.Kind = par.codec_type == AVMEDIA_TYPE_VIDEO ? .video
                : par.codec_type == AVMEDIA_TYPE_AUDIO ? .audio : .other
            let lang = av_dict_get(st.pointee.metadata, "language", nil, 0).flatMap { $0.pointee.value }
                .map { String(cString: $0).lowercased() }
            var parameters = StreamParameters(
                index: i, kind: kind, codec: Self.codecName(par), profile: Int(par.profile),
                bitRate: Int(par.bit_rate), extradata: extradata(ofStream: i), width: Int(par.width), height: Int(par.height),
                sampleRate: Int(par.sample_rate), channels: Int(par.ch_layout.nb_channels), timeBase: timeBase(ofStream: i),
                duration: st.pointee.duration == cffmpeg_nopts() ? 0 : max(0, st.pointee.duration),
                language: lang == "und" || lang?.isEmpty == true ? nil : lang)
            parameters.streamID = Int(st.pointee.id)
            parameters.isForced = st.pointee.disposition & AV_DISPOSITION_FORCED != 0
            parameters.isHearingImpaired = st.pointee.disposition & AV_DISPOSITION_HEARING_IMPAIRED != 0
            return parameters
        }
    }
}
