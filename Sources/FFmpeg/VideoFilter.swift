internal import CFFmpeg
public import MediaCore

/// A one-input, one-output libavfilter graph for the source video: deinterlace, rotate to the displayed
/// orientation and convert to a constant frame rate before the per-rung scalers.
/// C: `avfilter_graph_alloc`, `avfilter_graph_create_filter`, `avfilter_graph_parse_ptr`,
/// `avfilter_graph_config`, `av_buffersrc_add_frame_flags`, `av_buffersink_get_frame`, `avfilter_graph_free`.
public final class VideoFilter {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
    /// Time base of the frames the graph outputs: one unit per output frame.
    public let outputTimeBase: Rational
    /// The filter chain as text (for logs and tests).
    public let description: String

    /// Builds `buffer → <chain> → buffersink` for frames of the given shape.
    /// - Parameters:
    ///   - chain: libavfilter chain, e.g. `"bwdif=mode=send_frame,transpose=clock,fps=30000/1001"`.
    ///   - outputFrameRate: the constant rate the chain ends with (its `fps` filter).
    public init(width: Int, height: Int, pixelFormat: Int32, timeBase: Rational, sampleAspectRatio: Rational,
                chain: String, outputFrameRate: Rational) throws(FFmpegError) {
        guard let g = avfilter_graph_alloc() else { throw .outOfMemory("avfilter_graph_alloc") }
        // One thread: with libavfilter's slice threads (as many as cores) the rotated clip's frames
        // differed between runs under load, so the encoders' input, and their output, depended on
        // timing and on the core count. The chain is cheap next to the encoders, which run side by side.
        g.pointee.nb_threads = 1
        graph = g
        description = chain
        outputTimeBase = outputFrameRate.inverted
        let args = "video_size=\(width)x\(height):pix_fmt=\(pixelFormat):time_base=\(timeBase.numerator)/"
            + "\(timeBase.denominator):pixel_aspect=\(sampleAspectRatio.numerator)/\(sampleAspectRatio.denominator)"
        var src: UnsafeMutablePointer<AVFilterContext>? = nil
        var snk: UnsafeMutablePointer<AVFilterContext>? = nil
        do throws(FFmpegError) {
            try check(avfilter_graph_create_filter(&src, avfilter_get_by_name("buffer"), "in", args, nil, g),
                      "avfilter_graph_create_filter(buffer)")
            try check(avfilter_graph_create_filter(&snk, avfilter_get_by_name("buffersink"), "out", nil, nil, g),
                      "avfilter_graph_create_filter(buffersink)")
            guard let src, let snk else { throw FFmpegError.outOfMemory("avfilter_graph_create_filter") }
            // avfilter_graph_parse_ptr takes over both lists and hands back what it left open; only
            // those returned lists are freed (once), never the originals.
            var o: UnsafeMutablePointer<AVFilterInOut>? = avfilter_inout_alloc()
            var i: UnsafeMutablePointer<AVFilterInOut>? = avfilter_inout_alloc()
            defer { avfilter_inout_free(&o); avfilter_inout_free(&i) }
            guard let outputs = o, let inputs = i else { throw FFmpegError.outOfMemory("avfilter_inout_alloc") }
            outputs.pointee.name = av_strdup("in")
            outputs.pointee.filter_ctx = src
            outputs.pointee.pad_idx = 0
            outputs.pointee.next = nil
            inputs.pointee.name = av_strdup("out")
            inputs.pointee.filter_ctx = snk
            inputs.pointee.pad_idx = 0
            inputs.pointee.next = nil
            try check(avfilter_graph_parse_ptr(g, chain, &i, &o, nil), "avfilter_graph_parse_ptr")
            try check(avfilter_graph_config(g, nil), "avfilter_graph_config")
            source = src
            sink = snk
        } catch {
            avfilter_graph_free(&graph)
            throw error
        }
    }

    deinit { avfilter_graph_free(&graph) }

    /// Pushes a decoded frame, or nil at end of stream.
    public func push(_ frame: Frame?) throws(FFmpegError) {
        try check(av_buffersrc_add_frame_flags(source, frame?.raw, Int32(AV_BUFFERSRC_FLAG_KEEP_REF)),
                  "av_buffersrc_add_frame_flags")
    }

    /// Ends the input at `pts` (the end of the last frame, in the input time base), so the frame-rate
    /// filter knows how long the last frame lasts (`av_buffersrc_close`).
    public func close(at pts: Int64) throws(FFmpegError) {
        try check(av_buffersrc_close(source, pts, UInt32(AV_BUFFERSRC_FLAG_PUSH)), "av_buffersrc_close")
    }

    /// Pulls the next filtered frame into `frame`.
    public func pull(into frame: Frame) throws(FFmpegError) -> Receive {
        frame.unref()
        return try receiveResult(av_buffersink_get_frame(sink, frame.raw), "av_buffersink_get_frame")
    }
}

extension Frame {
    /// Pixel format as libavutil's enum value (for building filter graphs).
    public var pixelFormatValue: Int32 { raw.pointee.format }
    /// Duration of the packet the frame came from, in its time base (0 when unknown).
    public var packetDuration: Int64 { raw.pointee.pkt_duration }
    /// Sample aspect ratio of a video frame (1/1 when unset).
    public var sampleAspectRatio: Rational {
        let s = raw.pointee.sample_aspect_ratio
        return s.num > 0 && s.den > 0 ? Rational(Int64(s.num), Int64(s.den)) : Rational(1, 1)
    }
}
