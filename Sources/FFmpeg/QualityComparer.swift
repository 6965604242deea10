internal import CFFmpeg
public import MediaCore

/// A two-input libavfilter graph that scores a decoded output frame against its reference with the
/// `psnr` and `ssim` filters: `[ref]split[r1][r2];[main][r1]psnr[p];[p][r2]ssim[out]`. The scores are read
/// from the metadata the filters attach (`lavfi.psnr.mse.y`, `lavfi.psnr.mse_avg`, `lavfi.ssim.Y`,
/// `lavfi.ssim.All`), so they are exactly what `ffmpeg -lavfi psnr/ssim` computes.
/// Not thread-safe: one per rendition thread.
public final class QualityComparer {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let main: UnsafeMutablePointer<AVFilterContext>
    private let reference: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
    private let out: Frame

    /// A comparer for `yuv420p` frames of `width`x`height`, timestamps in frames (time base 1/1).
    public init(width: Int, height: Int) throws(FFmpegError) {
        guard let g = avfilter_graph_alloc() else { throw .outOfMemory("avfilter_graph_alloc") }
        g.pointee.nb_threads = 1
        graph = g
        out = try Frame()
        let args = "video_size=\(width)x\(height):pix_fmt=\(AV_PIX_FMT_YUV420P.rawValue):time_base=1/1:pixel_aspect=1/1"
        var m: UnsafeMutablePointer<AVFilterContext>? = nil
        var r: UnsafeMutablePointer<AVFilterContext>? = nil
        var s: UnsafeMutablePointer<AVFilterContext>? = nil
        do throws(FFmpegError) {
            try check(avfilter_graph_create_filter(&m, avfilter_get_by_name("buffer"), "main", args, nil, g),
                      "avfilter_graph_create_filter(buffer)")
            try check(avfilter_graph_create_filter(&r, avfilter_get_by_name("buffer"), "ref", args, nil, g),
                      "avfilter_graph_create_filter(buffer)")
            try check(avfilter_graph_create_filter(&s, avfilter_get_by_name("buffersink"), "out", nil, nil, g),
                      "avfilter_graph_create_filter(buffersink)")
            guard let m, let r, let s else { throw FFmpegError.outOfMemory("avfilter_graph_create_filter") }
            var outputs: UnsafeMutablePointer<AVFilterInOut>? = avfilter_inout_alloc()
            var second: UnsafeMutablePointer<AVFilterInOut>? = avfilter_inout_alloc()
            var inputs: UnsafeMutablePointer<AVFilterInOut>? = avfilter_inout_alloc()
            guard let o1 = outputs, let o2 = second, let i1 = inputs else {
                avfilter_inout_free(&outputs); avfilter_inout_free(&second); avfilter_inout_free(&inputs)
                throw FFmpegError.outOfMemory("avfilter_inout_alloc")
            }
            o1.pointee.name = av_strdup("main"); o1.pointee.filter_ctx = m; o1.pointee.pad_idx = 0; o1.pointee.next = o2
            o2.pointee.name = av_strdup("ref"); o2.pointee.filter_ctx = r; o2.pointee.pad_idx = 0; o2.pointee.next = nil
            i1.pointee.name = av_strdup("out"); i1.pointee.filter_ctx = s; i1.pointee.pad_idx = 0; i1.pointee.next = nil
            // The parser takes both lists over and hands back what it left open; only those are freed.
            defer { avfilter_inout_free(&outputs); avfilter_inout_free(&inputs) }
            try check(avfilter_graph_parse_ptr(g, "[ref]split[r1][r2];[main][r1]psnr[p];[p][r2]ssim[out]",
                                               &inputs, &outputs, nil), "avfilter_graph_parse_ptr")
            try check(avfilter_graph_config(g, nil), "avfilter_graph_config")
            main = m
            reference = r
            sink = s
        } catch {
            avfilter_graph_free(&graph)
            throw error
        }
    }

    deinit { avfilter_graph_free(&graph) }

    /// Pushes a decoded output frame and its reference (same size, `yuv420p`) as frame `index`, and
    /// returns the scores of every frame the graph completed (usually this one).
    public func push(decoded: Frame, reference ref: Frame, index: Int64) throws(FFmpegError) -> [FrameScores] {
        let a = try decoded.ref()
        let b = try ref.ref()
        a.raw.pointee.pts = index
        b.raw.pointee.pts = index
        a.raw.pointee.pict_type = AV_PICTURE_TYPE_NONE
        b.raw.pointee.pict_type = AV_PICTURE_TYPE_NONE
        try check(av_buffersrc_add_frame_flags(main, a.raw, 0), "av_buffersrc_add_frame_flags")
        try check(av_buffersrc_add_frame_flags(reference, b.raw, 0), "av_buffersrc_add_frame_flags")
        return try pull()
    }

    /// Ends both inputs and returns the scores of the frames still in the graph.
    public func finish() throws(FFmpegError) -> [FrameScores] {
        try check(av_buffersrc_add_frame_flags(main, nil, 0), "av_buffersrc_add_frame_flags")
        try check(av_buffersrc_add_frame_flags(reference, nil, 0), "av_buffersrc_add_frame_flags")
        return try pull()
    }

    private func pull() throws(FFmpegError) -> [FrameScores] {
        var scores: [FrameScores] = []
        while true {
            out.unref()
            let r = av_buffersink_get_frame(sink, out.raw)
            if r == cffmpeg_eagain() || r == cffmpeg_eof() { return scores }
            try check(r, "av_buffersink_get_frame")
            let meta = out.raw.pointee.metadata
            func value(_ key: String) throws(FFmpegError) -> Double {
                guard let entry = av_dict_get(meta, key, nil, 0), let text = entry.pointee.value,
                      let v = Double(String(cString: text)) else {
                    throw FFmpegError(function: "psnr/ssim", message: "no \(key) on a scored frame")
                }
                return v
            }
            scores.append(FrameScores(index: out.raw.pointee.pts, mseY: try value("lavfi.psnr.mse.y"),
                                      mseAverage: try value("lavfi.psnr.mse_avg"), ssimY: try value("lavfi.ssim.Y"),
                                      ssimAll: try value("lavfi.ssim.All")))
        }
    }
}

/// Owns an H.264 decoding context fed with packets of our own encoder (Annex-B, SPS/PPS in extradata):
/// the rendition as a player decodes it. One thread, so the result does not depend on scheduling.
public final class H264Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    public init(extradata: [UInt8]) throws(FFmpegError) {
        guard let codec = avcodec_find_decoder(AV_CODEC_ID_H264) else {
            throw FFmpegError(function: "avcodec_find_decoder", message: "no H.264 decoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw .outOfMemory("avcodec_alloc_context3") }
        context = ctx
        let padded = extradata.count + Int(AV_INPUT_BUFFER_PADDING_SIZE)
        guard let buffer = av_mallocz(padded)?.assumingMemoryBound(to: UInt8.self) else {
            throw .outOfMemory("av_mallocz")
        }
        extradata.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: extradata.count) }
        ctx.pointee.extradata = buffer
        ctx.pointee.extradata_size = Int32(extradata.count)
        ctx.pointee.thread_count = 1
        try check(avcodec_open2(ctx, codec, nil), "avcodec_open2")
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// Sends a packet (nil to drain); false when frames must be received first.
    public func send(_ packet: Packet?) throws(FFmpegError) -> Bool {
        let r = avcodec_send_packet(context, packet?.raw)
        if r == cffmpeg_eagain() { return false }
        if r == cffmpeg_eof() && packet == nil { return true }
        try check(r, "avcodec_send_packet")
        return true
    }

    public func receive(into frame: Frame) throws(FFmpegError) -> Receive {
        frame.unref()
        return try receiveResult(avcodec_receive_frame(context, frame.raw), "avcodec_receive_frame")
    }
}

extension InputFile {
    /// Seeks every stream to the key frame at or before `seconds` (`av_seek_frame`, backward).
    public func seek(toSeconds seconds: Double) throws(FFmpegError) {
        let ts = Int64(seconds * Double(cffmpeg_time_base()))
        try check(av_seek_frame(context, -1, ts, AVSEEK_FLAG_BACKWARD), "av_seek_frame")
    }
}

extension Decoder {
    /// Drops buffered frames after a seek (`avcodec_flush_buffers`).
    public func flush() { avcodec_flush_buffers(context) }
}

extension Frame {
    /// The frame's timestamp in seconds for time base `tb` (best effort, else pts), or nil.
    public func seconds(in tb: Rational) -> Double? {
        (bestEffortTimestamp ?? pts).map { Double($0) * tb.doubleValue }
    }
}
