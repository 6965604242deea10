internal import CFFmpeg

/// Converts decoded audio of any layout, rate and sample format to planar float at the output rate and
/// channel count (libswresample; 5.1 and other layouts are downmixed by its rematrixing), and cuts it
/// into fixed-size frames for the encoder (an `AVAudioFifo`).
/// C: `swr_alloc_set_opts2`, `swr_init`, `swr_convert`, `swr_free`, `av_audio_fifo_*`.
public final class AudioConverter {
    private var swr: OpaquePointer?
    private var fifo: OpaquePointer?
    private var inputSignature: (rate: Int32, format: Int32, layout: String)?
    private var outLayout = AVChannelLayout()
    public let sampleRate: Int
    public let channels: Int
    /// Samples per output frame (the encoder's frame size, 1024 for AAC).
    public let frameSize: Int
    /// Samples handed out so far (per channel), i.e. the position of the next output frame.
    public private(set) var samplesOut: Int64 = 0

    public init(sampleRate: Int, channels: Int, frameSize: Int) throws(FFmpegError) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.frameSize = frameSize
        cffmpeg_default_layout(&outLayout, Int32(channels))
        guard let f = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, Int32(channels), Int32(frameSize * 4)) else {
            throw .outOfMemory("av_audio_fifo_alloc")
        }
        fifo = f
    }

    deinit {
        swr_free(&swr)
        av_audio_fifo_free(fifo)
        av_channel_layout_uninit(&outLayout)
    }

    /// Input samples handed to the resampler so far (silence included), on the track's timeline.
    private var inputPosition: Int64 = 0
    /// Sample format and channel count of the current input, for silence of the same shape.
    private var inputShape: (format: Int32, channels: Int32, rate: Int32)?

    /// Adds a decoded frame (any format); nil flushes the resampler's delay at end of stream.
    ///
    /// `start` is the frame's time in seconds on the presentation timeline (0 = where every track
    /// starts). A frame that starts later than the audio so far reaches (a timestamp gap, or audio
    /// starting after the video) is preceded by silence; a frame lying wholly before it (an overlap)
    /// is dropped. Jitter below 20 ms is ignored. Without `start`, frames are laid end to end.
    public func add(_ frame: Frame?, at start: Double? = nil) throws(FFmpegError) {
        guard let frame else {
            try convert(nil, count: 0)
            return
        }
        try configure(for: frame)
        if let start {
            let rate = Double(frame.sampleRate)
            let position = Int64((start * rate).rounded())
            let tolerance = Int64(rate / 50)
            let gap = position - inputPosition
            if gap > tolerance {
                try addSilence(gap)
            } else if position + Int64(frame.sampleCount) <= inputPosition - tolerance {
                return
            }
        }
        try frame.raw.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 1)
            { (input) throws(FFmpegError) in try convert(input, count: Int32(frame.sampleCount)) }
        inputPosition += Int64(frame.sampleCount)
    }

    /// Feeds `count` samples of silence in the input's own shape, so the resampler keeps the order.
    private func addSilence(_ count: Int64) throws(FFmpegError) {
        guard let shape = inputShape else { return }
        var left = count
        let chunk: Int64 = 16384
        var planes = [UnsafeMutablePointer<UInt8>?](repeating: nil, count: Int(max(shape.channels, 1)))
        try check(av_samples_alloc(&planes, nil, shape.channels, Int32(chunk), AVSampleFormat(rawValue: shape.format), 0),
                  "av_samples_alloc")
        defer { av_freep(&planes[0]) }
        av_samples_set_silence(&planes, 0, Int32(chunk), shape.channels, AVSampleFormat(rawValue: shape.format))
        while left > 0 {
            let n = Int32(min(left, chunk))
            try planes.withUnsafeMutableBufferPointer { (buffer) throws(FFmpegError) in
                try buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: buffer.count)
                    { (input) throws(FFmpegError) in try convert(input, count: n) }
            }
            left -= Int64(n)
            inputPosition += Int64(n)
        }
    }

    /// Resamples `count` input samples (nil input flushes) and queues the output in the FIFO.
    private func convert(_ input: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, count: Int32) throws(FFmpegError) {
        guard let swr else { return }
        let capacity = swr_get_out_samples(swr, count) + 32
        guard capacity > 0 else { return }
        var planes = [UnsafeMutablePointer<UInt8>?](repeating: nil, count: channels)
        var linesize: Int32 = 0
        try check(av_samples_alloc(&planes, &linesize, Int32(channels), capacity, AV_SAMPLE_FMT_FLTP, 0),
                  "av_samples_alloc")
        defer { av_freep(&planes[0]) }
        let converted = swr_convert(swr, &planes, capacity, input, count)
        try check(converted, "swr_convert")
        if converted > 0 {
            let written = planes.withUnsafeMutableBufferPointer { buffer in
                // The array has `channels` (≥ 1) entries, so its base address exists.
                buffer.baseAddress!.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: channels) {
                    av_audio_fifo_write(fifo, $0, converted)
                }
            }
            try check(written, "av_audio_fifo_write")
        }
    }

    /// Takes the next full frame of `frameSize` samples, or, when `final` is true, the last partial frame
    /// (padded with silence by the encoder's frame size requirement being lifted for the last frame).
    public func nextFrame(final: Bool = false) throws(FFmpegError) -> Frame? {
        let available = Int(av_audio_fifo_size(fifo))
        guard available >= frameSize || (final && available > 0) else { return nil }
        let count = min(available, frameSize)
        let frame = try Frame()
        frame.raw.pointee.nb_samples = Int32(count)
        frame.raw.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
        frame.raw.pointee.sample_rate = Int32(sampleRate)
        try check(av_channel_layout_copy(&frame.raw.pointee.ch_layout, &outLayout), "av_channel_layout_copy")
        try check(av_frame_get_buffer(frame.raw, 0), "av_frame_get_buffer")
        let read = frame.raw.pointee.extended_data.withMemoryRebound(
            to: UnsafeMutableRawPointer?.self, capacity: channels) {
            av_audio_fifo_read(fifo, $0, Int32(count))
        }
        try check(read, "av_audio_fifo_read")
        frame.raw.pointee.pts = samplesOut
        samplesOut += Int64(count)
        return frame
    }

    private func configure(for frame: Frame) throws(FFmpegError) {
        var described = [CChar](repeating: 0, count: 96)
        _ = av_channel_layout_describe(&frame.raw.pointee.ch_layout, &described, described.count)
        let layout = String(decoding: described.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let signature = (frame.raw.pointee.sample_rate, frame.raw.pointee.format, layout)
        if let s = inputSignature, s.rate == signature.0, s.format == signature.1, s.layout == signature.2 { return }
        // A mid-stream format change: drain what the old resampler holds, then start a new one.
        if swr != nil { try convert(nil, count: 0) }
        swr_free(&swr)
        var inLayout = AVChannelLayout()
        defer { av_channel_layout_uninit(&inLayout) }
        if frame.raw.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame.raw.pointee.ch_layout.nb_channels == 0 {
            cffmpeg_default_layout(&inLayout, max(frame.raw.pointee.ch_layout.nb_channels, 1))
        } else {
            try check(av_channel_layout_copy(&inLayout, &frame.raw.pointee.ch_layout), "av_channel_layout_copy")
        }
        try check(swr_alloc_set_opts2(&swr, &outLayout, AV_SAMPLE_FMT_FLTP, Int32(sampleRate),
                                      &inLayout, AVSampleFormat(rawValue: frame.raw.pointee.format),
                                      frame.raw.pointee.sample_rate, 0, nil), "swr_alloc_set_opts2")
        try check(swr_init(swr), "swr_init")
        inputSignature = signature
        inputShape = (frame.raw.pointee.format, max(frame.raw.pointee.ch_layout.nb_channels, 1), frame.raw.pointee.sample_rate)
    }
}
