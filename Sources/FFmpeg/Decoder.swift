internal import CFFmpeg
public import MediaCore

/// Owns a decoding `AVCodecContext` for one stream of an ``InputFile``.
/// C: `avcodec_find_decoder`, `avcodec_parameters_to_context`, `avcodec_open2`, `avcodec_send_packet`,
/// `avcodec_receive_frame`, `avcodec_free_context`.
public final class Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    /// Time base of the packets and frames (the stream's).
    public let timeBase: Rational

    /// Opens a decoder for stream `streamIndex`. `threads` 0 lets libavcodec choose.
    public init(input: InputFile, streamIndex: Int, threads: Int = 0) throws(FFmpegError) {
        let st = input.stream(streamIndex)
        guard let par = st.pointee.codecpar else {
            throw FFmpegError(function: "decoder", message: "stream \(streamIndex) has no codec parameters",
                              path: input.path)
        }
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(par.pointee.codec_id))
            throw FFmpegError(function: "avcodec_find_decoder", message: "no decoder for codec \(name)",
                              path: input.path)
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw .outOfMemory("avcodec_alloc_context3") }
        context = ctx
        timeBase = input.timeBase(ofStream: streamIndex)
        do throws(FFmpegError) {
            try check(avcodec_parameters_to_context(ctx, par), "avcodec_parameters_to_context")
            ctx.pointee.pkt_timebase = st.pointee.time_base
            ctx.pointee.thread_count = Int32(threads)
            try check(avcodec_open2(ctx, codec, nil), "avcodec_open2")
        } catch {
            throw error.about(input.path)
        }
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// Sends a packet, or nil to start draining. Returns false when the decoder must be drained first
    /// (`EAGAIN`); the caller then receives frames and sends the same packet again.
    @discardableResult
    public func send(_ packet: Packet?) throws(FFmpegError) -> Bool {
        let r = avcodec_send_packet(context, packet?.raw)
        if r == cffmpeg_eagain() { return false }
        if r == cffmpeg_eof() && packet == nil { return true }   // already draining
        try check(r, "avcodec_send_packet")
        return true
    }

    /// Receives the next decoded frame into `frame`.
    public func receive(into frame: Frame) throws(FFmpegError) -> Receive {
        frame.unref()
        return try receiveResult(avcodec_receive_frame(context, frame.raw), "avcodec_receive_frame")
    }
}
