internal import CFFmpeg

/// Owns an `AVPacket`. C: `av_packet_alloc` / `av_packet_free`.
public final class Packet {
    let raw: UnsafeMutablePointer<AVPacket>

    public init() throws(FFmpegError) {
        guard let p = av_packet_alloc() else { throw .outOfMemory("av_packet_alloc") }
        raw = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = raw
        av_packet_free(&p)
    }

    /// Index of the stream this packet belongs to.
    public var streamIndex: Int { Int(raw.pointee.stream_index) }
    /// Presentation time in the stream's time base, or nil when unknown.
    public var pts: Int64? { raw.pointee.pts == cffmpeg_nopts() ? nil : raw.pointee.pts }
    /// Decode time in the stream's time base, or nil when unknown.
    public var dts: Int64? { raw.pointee.dts == cffmpeg_nopts() ? nil : raw.pointee.dts }
    public var duration: Int64 { raw.pointee.duration }
    public var isKey: Bool { raw.pointee.flags & AV_PKT_FLAG_KEY != 0 }
    public var size: Int { Int(raw.pointee.size) }

    /// Drops the payload reference (`av_packet_unref`).
    public func unref() { av_packet_unref(raw) }

    /// Scoped read-only access to the payload bytes.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: raw.pointee.data, count: Int(raw.pointee.size)))
    }
}
