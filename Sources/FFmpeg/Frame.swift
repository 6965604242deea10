internal import CFFmpeg

/// Owns an `AVFrame`. C: `av_frame_alloc` / `av_frame_free`.
///
/// Not shareable between threads: a frame handed to several encoders is wrapped in a ``SharedFrame``,
/// which offers no way to change it.
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

/// A complete decoded frame handed to every rung (decoder → encoders), read-only by construction.
///
/// It takes the frame's buffer references over from the ``Frame`` it is made from (which is left empty),
/// keeps them in a private `AVFrame` and hands out no `Frame` and no setter: this module reads it only
/// through a const pointer (``withUnsafeFrame(_:)``: swscale reads the planes, or a new reference is
/// taken), and other modules see only its size and index. Buffers shared with the decoder or the filter
/// graph are reference-counted and never written by them once output.
public final class SharedFrame: Sendable {
    /// Only ever read, through a const pointer; the object is immutable after `init`. The compiler cannot
    /// see that through a C pointer, hence `nonisolated(unsafe)` on this one private field.
    nonisolated(unsafe) private let storage: Frame
    /// Output frame number on the rendition timeline (0, 1, 2…).
    public let index: Int64
    public let width: Int
    public let height: Int

    /// Moves `frame`'s contents (`av_frame_move_ref`) into a new shared frame; `frame` is left empty.
    public init(taking frame: Frame, index: Int64) throws(FFmpegError) {
        storage = try Frame()
        av_frame_move_ref(storage.raw, frame.raw)
        self.index = index
        width = storage.width
        height = storage.height
    }

    /// Calls `body` with a read-only view of the frame.
    func withUnsafeFrame<R, E: Error>(_ body: (UnsafePointer<AVFrame>) throws(E) -> R) throws(E) -> R {
        try body(UnsafePointer(storage.raw))
    }
}
