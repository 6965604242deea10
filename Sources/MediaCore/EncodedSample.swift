/// One encoded access unit on the 10 MHz clock: the contract between Transcode (or the `package`
/// demuxer) and the muxer.
///
/// - Video: `data` holds the H.264 access unit as **4-byte length-prefixed NAL units** (ISO/IEC 14496-15),
///   never Annex-B start codes; no SPS/PPS/AUD NALs (they travel in ``VideoCodecConfig``).
/// - Audio: `data` is one raw AAC access unit (no ADTS header), 1024 PCM samples.
///
/// Times: `decodeTime` of a rendition's first sample is 0 and decode times are contiguous
/// (`decodeTime + duration` is the next sample's `decodeTime`). `presentationTime` is normalised so
/// that the first sample's equals its decode time (docs/format.md §1.5, option A): composition offsets
/// are `presentationTime - decodeTime` and may be negative. Times are computed from frame or sample
/// counts with ``Clock/time(ofUnit:unitDuration:)``, never by adding rounded durations, so every video
/// rung of a source carries identical times.
public struct EncodedSample: Sendable, Equatable {
    public var data: [UInt8]
    public var decodeTime: Int64
    public var presentationTime: Int64
    public var duration: Int64
    /// A sync sample: an IDR access unit for video; always true for AAC.
    public var isSync: Bool

    public init(data: [UInt8], decodeTime: Int64, presentationTime: Int64, duration: Int64, isSync: Bool) {
        self.data = data
        self.decodeTime = decodeTime
        self.presentationTime = presentationTime
        self.duration = duration
        self.isSync = isSync
    }

    /// `presentationTime - decodeTime`.
    public var compositionOffset: Int64 { presentationTime - decodeTime }
}
