internal import CFFmpeg
public import MediaCore
internal import Synchronization

extension VideoEncoding {
    /// The `x264-params` string: closed GOPs of exactly `gopSize` frames, no scene-cut key frames, one
    /// thread (see ``Encoder/h264(_:width:height:frameDuration:gopSize:)``), then the profile's own
    /// parameters (sorted, so the string is stable).
    func x264ParamString(gopSize: Int) -> String {
        var params = ["keyint=\(gopSize)", "min-keyint=\(gopSize)", "scenecut=0", "open-gop=0",
                      "threads=1", "lookahead-threads=1", "sliced-threads=0"]
        if let set = Encoder.x264InstructionSets { params.append("asm=\(set)") }
        params += x264Params.keys.sorted().map { "\($0)=\(x264Params[$0] ?? "")" }
        return params.joined(separator: ":")
    }
}

/// Owns an encoding `AVCodecContext`. C: `avcodec_find_encoder_by_name`, `avcodec_open2`,
/// `avcodec_send_frame`, `avcodec_receive_packet`, `avcodec_free_context`.
public final class Encoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    private static let openLock = Mutex(())

    /// The instruction sets libx264 may use, when they must differ from its own choice (x264's `asm`), or nil.
    ///
    /// On CPUs with AVX-512, libx264 0.164's AVX-512 code made the bytes depend on the state of the process's
    /// heap: with the same frames in, a rung's bytes changed when other transcodes had run or were running in
    /// the same process (separate processes, whose heaps start the same, agreed), while the AVX2 code gives the
    /// same bytes every time and is clean under valgrind's memcheck (which cannot run AVX-512). So on such
    /// CPUs x264 gets the set it would detect there, without AVX-512. Every CPU with AVX-512F/CD/BW/DQ/VL (what
    /// both FFmpeg and x264 call AVX-512) has all of these.
    public static let x264InstructionSets: String? =
        av_get_cpu_flags() & AV_CPU_FLAG_AVX512 != 0 ? "MMX2,SSE2Fast,SSSE3,SSE4.2,AVX,FMA3,BMI2,AVX2" : nil

    /// What of this machine decides libx264's bytes besides the settings: the instruction sets it uses (x264's
    /// SIMD code is not bit-exact across sets, e.g. its floating-point macroblock-tree costs with FMA3), as the
    /// forced set or FFmpeg's detected CPU flags. Part of every presentation version.
    public static var machineDescription: String {
        if let set = x264InstructionSets { return "x264 asm \(set)" }
        return "x264 asm auto, cpu flags \(String(UInt32(bitPattern: av_get_cpu_flags()), radix: 16))"
    }

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
        // libx264 fills process-wide tables while an encoder opens, and FFmpeg 5.1 marks its wrapper as safe to
        // open concurrently: one open at a time, so an encoder never reads a table another is writing.
        let opened = Self.openLock.withLock { _ in avcodec_open2(ctx, codec, &dict) }
        try check(opened, "avcodec_open2")
        if let left = av_dict_get(dict, "", nil, AV_DICT_IGNORE_SUFFIX) {
            throw FFmpegError(function: "avcodec_open2", message: "unknown \(codecName) option \(String(cString: left.pointee.key))")
        }
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// An H.264 encoder (libx264) producing Annex-B packets with SPS/PPS in ``extradata``.
    ///
    /// Always one thread, lookahead included: with VBV (maxrate/bufsize), x264's frame threads plan each
    /// frame's size from the sizes other threads have reached so far, and sliced threads sum the other
    /// slices' running estimates, so the bytes would depend on scheduling (load) and on the thread count
    /// (cores). One thread makes the output a function of the input and the settings only; parallelism
    /// comes from encoding the rungs side by side and several sources at once.
    ///
    /// - Parameters:
    ///   - encoding: the rung's rates and x264 settings.
    ///   - width, height: the output size (frames sent must have it).
    ///   - frameDuration: seconds per frame; also the encoder time base (one unit per frame).
    ///   - gopSize: frames per GOP = frames per fragment; an IDR on every multiple and nowhere else.
    public static func h264(_ encoding: VideoEncoding, width: Int, height: Int, frameDuration: Rational,
                            gopSize: Int) throws(FFmpegError) -> Encoder {
        let e = encoding
        var options = ["preset": e.preset, "profile": e.profile.x264Name, "forced-idr": "1",
                       "x264-params": e.x264ParamString(gopSize: gopSize)]
        if let level = e.level { options["level"] = level }
        if let crf = e.crf { options["crf"] = String(crf) }   // capped CRF: bit_rate stays 0
        return try Encoder(codecName: "libx264", configure: { c in
            c.pointee.width = Int32(width)
            c.pointee.height = Int32(height)
            c.pointee.pix_fmt = AV_PIX_FMT_YUV420P
            c.pointee.time_base = AVRational(num: Int32(frameDuration.numerator), den: Int32(frameDuration.denominator))
            c.pointee.framerate = AVRational(num: Int32(frameDuration.denominator), den: Int32(frameDuration.numerator))
            c.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
            c.pointee.gop_size = Int32(gopSize)
            c.pointee.keyint_min = Int32(gopSize)
            c.pointee.max_b_frames = Int32(e.bframes)
            c.pointee.bit_rate = e.crf == nil ? Int64(e.bitrate) : 0
            c.pointee.rc_max_rate = Int64(e.maxrate)
            c.pointee.rc_buffer_size = Int32(e.bufsize)
            if let refs = e.refs { c.pointee.refs = Int32(refs) }
            c.pointee.thread_count = 1
            c.pointee.thread_type = FF_THREAD_FRAME
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
