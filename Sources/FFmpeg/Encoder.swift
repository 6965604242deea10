internal import CFFmpeg
public import MediaCore

/// H.264 settings for one rung, applied to libx264 through libavcodec.
public struct VideoEncoderSettings: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Seconds per frame; also the encoder time base (one unit per frame).
    public var frameDuration: Rational
    /// Frames per GOP = frames per fragment; IDR on every multiple and nowhere else.
    public var gopSize: Int
    public var bitrate: Int
    public var maxrate: Int
    public var bufsize: Int
    /// x264 profile name: "high", "main" or "baseline".
    public var profile: String
    public var level: String?
    public var preset: String
    public var bframes: Int
    public var refs: Int?
    /// Threads for this encoder (x264 frame threads); 0 lets x264 choose.
    public var threads: Int
    /// Extra x264 parameters, passed through `x264-params` after ours.
    public var x264Params: [String: String]

    public init(width: Int, height: Int, frameDuration: Rational, gopSize: Int, bitrate: Int, maxrate: Int,
                bufsize: Int, profile: String, level: String? = nil, preset: String, bframes: Int, refs: Int? = nil,
                threads: Int = 0, x264Params: [String: String] = [:]) {
        self.width = width
        self.height = height
        self.frameDuration = frameDuration
        self.gopSize = gopSize
        self.bitrate = bitrate
        self.maxrate = maxrate
        self.bufsize = bufsize
        self.profile = profile
        self.level = level
        self.preset = preset
        self.bframes = bframes
        self.refs = refs
        self.threads = threads
        self.x264Params = x264Params
    }

    /// The `x264-params` string: closed GOPs of exactly `gopSize` frames, no scene-cut key frames,
    /// then the profile's own parameters (sorted, so the string is stable).
    var x264ParamString: String {
        var params = ["keyint=\(gopSize)", "min-keyint=\(gopSize)", "scenecut=0", "open-gop=0"]
        params += x264Params.keys.sorted().map { "\($0)=\(x264Params[$0] ?? "")" }
        return params.joined(separator: ":")
    }
}

/// Owns an encoding `AVCodecContext`. C: `avcodec_find_encoder_by_name`, `avcodec_open2`,
/// `avcodec_send_frame`, `avcodec_receive_packet`, `avcodec_free_context`.
public final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    private init(codecName: String, configure: (UnsafeMutablePointer<AVCodecContext>) throws(FFmpegError) -> Void,
                 options: [String: String]) throws(FFmpegError) {
        guard let codec = avcodec_find_encoder_by_name(codecName) else {
            throw FFmpegError(function: "avcodec_find_encoder_by_name", message: "encoder \(codecName) not available")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw .outOfMemory("avcodec_alloc_context3") }
        context = ctx
        try configure(ctx)
        ctx.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        for (k, v) in options.sorted(by: { $0.key < $1.key }) { av_dict_set(&dict, k, v, 0) }
        try check(avcodec_open2(ctx, codec, &dict), "avcodec_open2")
        if let left = av_dict_get(dict, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw FFmpegError(function: "avcodec_open2", message: "unknown \(codecName) option \(String(cString: left.pointee.key))")
        }
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// An H.264 encoder (libx264) producing Annex-B packets with SPS/PPS in ``extradata``.
    public static func h264(_ s: VideoEncoderSettings) throws(FFmpegError) -> Encoder {
        var options = ["preset": s.preset, "profile": s.profile, "forced-idr": "1", "x264-params": s.x264ParamString]
        if let level = s.level { options["level"] = level }
        return try Encoder(codecName: "libx264", configure: { c in
            c.pointee.width = Int32(s.width)
            c.pointee.height = Int32(s.height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: Int32(s.frameDuration.numerator), den: Int32(s.frameDuration.denominator))
            c.pointee.framerate = AVRational(num: Int32(s.frameDuration.denominator), den: Int32(s.frameDuration.numerator))
            c.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            c.pointee.gop_size = Int32(s.gopSize)
            c.pointee.keyint_min = Int32(s.gopSize)
            c.pointee.max_b_frames = Int32(s.bframes)
            c.pointee.bit_rate = Int64(s.bitrate)
            c.pointee.rc_max_rate = Int64(s.maxrate)
            c.pointee.rc_buffer_size = Int32(s.bufsize)
            if let refs = s.refs { c.pointee.refs = Int32(refs) }
            c.pointee.thread_count = Int32(s.threads)
        }, options: options)
    }

    /// An AAC-LC encoder (libavcodec's native `aac`), planar float input.
    public static func aac(sampleRate: Int, channels: Int, bitrate: Int) throws(FFmpegError) -> Encoder {
        try Encoder(codecName: "aac", configure: { c in
            c.pointee.sample_rate = Int32(sampleRate)
            c.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
            cffmpeg_default_layout(&c.pointee.ch_layout, Int32(channels))
            c.pointee.bit_rate = Int64(bitrate)
            c.pointee.profile = FF_PROFILE_AAC_LOW
            c.pointee.time_base = AVRational(num: 1, den: Int32(sampleRate))
        }, options: [:])
    }

    /// Codec extradata after opening: Annex-B SPS/PPS (H.264) or the AudioSpecificConfig (AAC).
    public var extradata: [UInt8] {
        guard let data = context.pointee.extradata, context.pointee.extradata_size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(context.pointee.extradata_size)))
    }

    /// Samples per frame the encoder requires (1024 for AAC; 0 for video).
    public var frameSize: Int { Int(context.pointee.frame_size) }
    /// Encoder delay in samples (AAC priming), reported by libavcodec.
    public var initialPadding: Int { Int(context.pointee.initial_padding) }

    /// Sends a frame, or nil to flush. A frame is always accepted because packets are drained after
    /// every send.
    public func send(_ frame: Frame?) throws(FFmpegError) {
        let r = avcodec_send_frame(context, frame?.raw)
        if r == cffmpeg_eof() && frame == nil { return }
        try check(r, "avcodec_send_frame")
    }

    /// Receives the next packet into `packet`.
    public func receive(into packet: Packet) throws(FFmpegError) -> Receive {
        packet.unref()
        return try receiveResult(avcodec_receive_packet(context, packet.raw), "avcodec_receive_packet")
    }
}
