internal import CFFmpeg

/// Owns an `AVFrame`. C: `av_frame_alloc` / `av_frame_free`.
///
/// A frame handed to several encoders is only read by them (swscale reads the planes), so one
/// instance may be shared read-only across threads once it is complete; see ``SharedFrame``.
public final class Frame {
    let raw: UnsafeMutablePointer<AVFrame>

    public init() throws(FFmpegError) {
        guard let f = av_frame_alloc() else { throw .outOfMemory("av_frame_alloc") }
        raw = f
    }

    deinit {
        var f: UnsafeMutablePointer<AVFrame>? = raw
        av_frame_free(&f)
    }

    public var width: Int { Int(raw.pointee.width) }
    public var height: Int { Int(raw.pointee.height) }
    /// Samples per channel (audio).
    public var sampleCount: Int { Int(raw.pointee.nb_samples) }
    public var sampleRate: Int { Int(raw.pointee.sample_rate) }
    public var channelCount: Int { Int(raw.pointee.ch_layout.nb_channels) }
    /// The frame's best-effort timestamp in its time base, or nil.
    public var bestEffortTimestamp: Int64? {
        let t = raw.pointee.best_effort_timestamp
        return t == cffmpeg_nopts() ? nil : t
    }
    public var pts: Int64? {
        get { raw.pointee.pts == cffmpeg_nopts() ? nil : raw.pointee.pts }
        set { raw.pointee.pts = newValue ?? cffmpeg_nopts() }
    }

    /// Asks the encoder for an IDR at this frame (`pict_type = AV_PICTURE_TYPE_I`, with `forced-idr=1`).
    public func forceKeyFrame(_ on: Bool) {
        raw.pointee.pict_type = on ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
    }

    /// Releases the frame's buffers for reuse (`av_frame_unref`).
    public func unref() { av_frame_unref(raw) }

    /// A new frame referencing the same buffers (`av_frame_ref`).
    public func ref() throws(FFmpegError) -> Frame {
        let copy = try Frame()
        try check(av_frame_ref(copy.raw, raw), "av_frame_ref")
        return copy
    }
}

/// A complete frame shared read-only between threads (decoder → encoders).
///
/// Safety: producers publish a frame only after they have finished writing it and never write it
/// again; consumers only read it.
public final class SharedFrame: @unchecked Sendable {
    public let frame: Frame
    /// Output frame number on the rendition timeline (0, 1, 2…).
    public let index: Int64
    public init(_ frame: Frame, index: Int64) {
        self.frame = frame
        self.index = index
    }
}
