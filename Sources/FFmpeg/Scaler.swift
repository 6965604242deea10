internal import CFFmpeg

/// Owns an `SwsContext` that converts frames of any size and pixel format to one output size in
/// 8-bit 4:2:0 (`yuv420p`). C: `sws_getCachedContext`, `sws_scale`, `sws_freeContext`.
///
/// Not thread-safe: one scaler per rendition thread.
public final class Scaler {
    private var context: OpaquePointer?
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0 && width % 2 == 0 && height % 2 == 0, "even output size required")
        self.width = width
        self.height = height
    }

    deinit { sws_freeContext(context) }

    /// Scales `source` into a new frame of the output size (bicubic, as ffmpeg's scale filter), with the
    /// source's timestamp. The source is only read. A source already of the output size in `yuv420p` is
    /// not copied: the result references its buffers.
    public func scale(_ source: SharedFrame) throws(FFmpegError) -> Frame {
        try source.withUnsafeFrame { (src: UnsafePointer<AVFrame>) throws(FFmpegError) -> Frame in try scale(src) }
    }

    private func scale(_ src: UnsafePointer<AVFrame>) throws(FFmpegError) -> Frame {
        if src.pointee.width == Int32(width), src.pointee.height == Int32(height),
           src.pointee.format == AV_PIX_FMT_YUV420P.rawValue {
            let same = try Frame()
            try check(av_frame_ref(same.raw, src), "av_frame_ref")
            same.raw.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)   // outputs have square pixels
            return same
        }
        let srcFormat = AVPixelFormat(rawValue: src.pointee.format)
        context = sws_getCachedContext(context, src.pointee.width, src.pointee.height, srcFormat,
                                       Int32(width), Int32(height), AV_PIX_FMT_YUV420P,
                                       Int32(SWS_BICUBIC), nil, nil, nil)
        guard let context else {
            throw FFmpegError(function: "sws_getCachedContext",
                              message: "cannot convert \(src.pointee.width)x\(src.pointee.height) to \(width)x\(height)")
        }
        let out = try Frame()
        out.raw.pointee.width = Int32(width)
        out.raw.pointee.height = Int32(height)
        out.raw.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        try check(av_frame_get_buffer(out.raw, 0), "av_frame_get_buffer")
        var srcData = src.pointee.data
        var srcLines = src.pointee.linesize
        let lines = withUnsafePointer(to: &srcData) { srcData in
            withUnsafePointer(to: &srcLines) { srcLines in
                withUnsafeMutablePointer(to: &out.raw.pointee.data) { dstData in
                    withUnsafeMutablePointer(to: &out.raw.pointee.linesize) { dstLines in
                        srcData.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { sd in
                            srcLines.withMemoryRebound(to: Int32.self, capacity: 8) { sl in
                                dstData.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dd in
                                    dstLines.withMemoryRebound(to: Int32.self, capacity: 8) { dl in
                                        sws_scale(context, sd, sl, 0, src.pointee.height, dd, dl)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try check(lines, "sws_scale")
        out.raw.pointee.pts = src.pointee.pts
        return out
    }
}
