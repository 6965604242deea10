internal import CFFmpeg
internal import MediaCore

/// Small JPEG pictures of video frames (the report's thumbnail strip): a `scale,format=yuvj420p` graph
/// then libavcodec's `mjpeg` encoder; each packet is a whole JPEG file. Not thread-safe.
public final class JPEGEncoder {
    private let context: UnsafeMutablePointer<AVCodecContext>
    private var filter: VideoFilter?
    public let width: Int
    public let height: Int
    /// mpegvideo refuses a timestamp that does not increase.
    private var count: Int64 = 0

    /// Pictures of `width` pixels wide (even) for frames of `sourceWidth`x`sourceHeight`.
    public init(width: Int, sourceWidth: Int, sourceHeight: Int) throws(FFmpegError) {
        self.width = max(2, width - width % 2)
        let h = Int((Double(sourceHeight) * Double(self.width) / Double(max(sourceWidth, 1))).rounded())
        height = max(2, h - h % 2)
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw FFmpegError(function: "avcodec_find_encoder", message: "no mjpeg encoder")
        }
        guard let ctx = avcodec_alloc_context3(codec) else { throw .outOfMemory("avcodec_alloc_context3") }
        context = ctx
        ctx.pointee.width = Int32(self.width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        ctx.pointee.color_range = AVCOL_RANGE_JPEG
        ctx.pointee.time_base = AVRational(num: 1, den: 1)
        ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
        ctx.pointee.global_quality = 4 * FF_QP2LAMBDA
        ctx.pointee.thread_count = 1
        try check(avcodec_open2(ctx, codec, nil), "avcodec_open2")
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
    }

    /// The JPEG bytes of `frame` (any size and pixel format the scaler reads).
    public func encode(_ frame: Frame) throws(FFmpegError) -> [UInt8] {
        if filter == nil {
            filter = try VideoFilter(width: frame.width, height: frame.height, pixelFormat: frame.pixelFormatValue,
                                     timeBase: Rational(1, 1), sampleAspectRatio: Rational(1, 1),
                                     chain: "scale=\(width):\(height):flags=bicubic,format=yuvj420p",
                                     outputFrameRate: Rational(1, 1))
        }
        guard let filter else { return [] }
        let input = try frame.ref()
        input.pts = 0
        input.forceKeyFrame(false)
        try filter.push(input)
        let small = try Frame()
        guard try filter.pull(into: small) == .output else {
            throw FFmpegError(function: "thumbnail", message: "the scaler gave no picture")
        }
        small.raw.pointee.quality = context.pointee.global_quality
        small.pts = count
        count += 1
        try check(avcodec_send_frame(context, small.raw), "avcodec_send_frame")
        let packet = try Packet()
        var bytes: [UInt8] = []
        while try receiveResult(avcodec_receive_packet(context, packet.raw), "avcodec_receive_packet") == .output {
            bytes += packet.withBytes { Array($0) }
            packet.unref()
        }
        return bytes
    }
}
