public import MediaCore

/// Where one written fragment lives and what it covers (docs/format.md §1.7, §4.5, §7.4).
public struct FragmentInfo: Sendable, Equatable, Codable {
    /// Fragment start in 10 MHz units: decode time of its first sample (manifest `t`, tfxd and tfra time).
    public var time: Int64
    /// Sum of its sample durations (manifest `d`, tfxd duration).
    public var duration: Int64
    /// Byte offset of its `moof` in the file.
    public var moofOffset: Int64
    /// Size of the `moof` box.
    public var moofSize: Int64
    /// Size of the `mdat` box, 8-byte header included.
    public var mdatSize: Int64
    public var sampleCount: Int

    public init(time: Int64, duration: Int64, moofOffset: Int64, moofSize: Int64, mdatSize: Int64, sampleCount: Int) {
        self.time = time
        self.duration = duration
        self.moofOffset = moofOffset
        self.moofSize = moofSize
        self.mdatSize = mdatSize
        self.sampleCount = sampleCount
    }

    /// The bytes an origin returns for this fragment: its moof and the mdat after it.
    public var byteRange: Range<Int64> { moofOffset..<(moofOffset + moofSize + mdatSize) }
}

/// What the fragmenter wrote for one track of one file; the manifests are built from this value
/// (design.md "Manifests are derived from the FragmentIndex").
public struct FragmentIndex: Sendable, Equatable, Codable {
    /// The track's id (1 for video files, 2 for audio files).
    public var trackID: UInt32
    public var codec: CodecConfig
    public var fragments: [FragmentInfo]
    /// Size of `ftyp` + `moov`.
    public var headerSize: Int64
    /// Offset and size of the trailing `mfra`.
    public var mfraOffset: Int64
    public var mfraSize: Int64
    /// File size.
    public var totalBytes: Int64

    public init(
        trackID: UInt32, codec: CodecConfig, fragments: [FragmentInfo], headerSize: Int64,
        mfraOffset: Int64, mfraSize: Int64, totalBytes: Int64
    ) {
        self.trackID = trackID
        self.codec = codec
        self.fragments = fragments
        self.headerSize = headerSize
        self.mfraOffset = mfraOffset
        self.mfraSize = mfraSize
        self.totalBytes = totalBytes
    }

    /// End of the last fragment in 10 MHz units (streams start at 0, docs/format.md §7.4).
    public var duration: Int64 { fragments.last.map { $0.time + $0.duration } ?? 0 }
    /// Total number of samples.
    public var sampleCount: Int { fragments.reduce(0) { $0 + $1.sampleCount } }
    /// Sum of the mdat payloads (sample bytes), for bitrate computation.
    public var mediaBytes: Int64 { fragments.reduce(0) { $0 + $1.mdatSize - 8 } }
}
