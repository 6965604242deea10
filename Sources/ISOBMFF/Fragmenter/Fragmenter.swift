public import MediaCore

/// Streaming PIFF muxer for one rendition (one track per file, docs/format.md §1.1): writes `ftyp`+`moov`
/// at construction, each `moof`+`mdat` as soon as its fragment is complete (at most one fragment is
/// held, as references to the samples' own byte arrays), and `mfra` at ``finish()``, which returns the
/// ``FragmentIndex`` the manifests are built from.
///
/// Cutting (docs/format.md §7.1, §7.2): video fragments start at a sync sample once the open fragment
/// reaches the policy's minimum duration; audio fragments hold a fixed number of AAC frames. Fragment
/// `t` is the first sample's decode time and `d` the sum of its durations; tfxd and tfra carry them,
/// and each traf's version-1 `tfdt` carries `t` again for DASH/HLS players.
///
/// Not thread-safe: feed it from one task.
public final class Fragmenter {
    public let trackID: UInt32
    public let codec: CodecConfig
    public let policy: FragmentationPolicy

    private let sink: any ByteSink
    private let isVideo: Bool
    private let headerSize: Int64
    private var offset: Int64
    private var open: [EncodedSample] = []
    private var openDuration: Int64 = 0
    private var openBytes: Int64 = 0
    private var nextDecodeTime: Int64?
    private var sampleIndex = 0
    private var sequenceNumber: UInt32 = 1
    private var fragments: [FragmentInfo] = []
    private var finished = false
    /// Common Encryption (docs/format.md §12): samples are encrypted as they arrive; `openEntries` holds
    /// the IV and subsample map of each sample of the open fragment.
    private let protector: (any SampleProtector)?
    private var openEntries: [SampleEncryptionEntry] = []

    /// Writes the PIFF header for `codec` as track `trackID` (1 for video files, 2 for audio files)
    /// to `sink`. `policy` defaults to ``FragmentationPolicy/default(for:)``.
    /// With a `protector`, the track is written encrypted (`encv`/`enca`, `pssh`, per-fragment `senc`,
    /// `saiz`/`saio` and PIFF's sample encryption box).
    public init(sink: any ByteSink, trackID: UInt32, codec: CodecConfig, policy: FragmentationPolicy? = nil,
                protector: (any SampleProtector)? = nil) throws {
        let policy = policy ?? .default(for: codec)
        switch (policy, codec) {
        case (.video(let minimum), .video):
            guard minimum >= 0 else { throw FragmenterError.invalidPolicy("negative minimum duration \(minimum)") }
        case (.audio(let frames), .audio):
            guard frames > 0 else { throw FragmenterError.invalidPolicy("\(frames) frames per fragment") }
        default:
            throw FragmenterError.invalidPolicy("\(policy) does not fit a \(codec.isVideo ? "video" : "audio") codec")
        }
        guard trackID > 0 else { throw FragmenterError.invalidPolicy("track ID 0 is reserved") }
        self.sink = sink
        self.trackID = trackID
        self.codec = codec
        self.policy = policy
        isVideo = codec.isVideo
        self.protector = protector
        let header = try PIFFHeader.bytes(trackID: trackID, codec: codec, protection: protector?.track)
        try sink.write(header)
        headerSize = Int64(header.count)
        offset = headerSize
    }

    /// Adds the next sample in decode order, writing the open fragment first when this sample starts
    /// a new one. Throws ``FragmenterError`` (leaving the state unchanged) for a stream that breaks the
    /// `EncodedSample` contract.
    public func append(_ sample: EncodedSample) throws {
        guard !finished else { throw FragmenterError.alreadyFinished }
        try validate(sample)
        if isVideo {
            if case .video(let minimum) = policy, sample.isSync, !open.isEmpty, openDuration >= minimum {
                try writeFragment()
            }
            if open.isEmpty && !sample.isSync {
                throw FragmenterError.fragmentStartsWithNonSyncSample(
                    sampleIndex: sampleIndex,
                    decodeTime: sample.decodeTime)
            }
        }
        if let protector {
            var protected = sample
            let entry = try protector.protect(&protected.data, isVideo: isVideo)
            guard entry.subsamples.isEmpty || entry.coveredBytes == protected.data.count,
                protected.data.count == sample.data.count
            else {
                throw FragmenterError.encryption(
                    "subsample map of sample \(sampleIndex) covers \(entry.coveredBytes) of \(sample.data.count) bytes")
            }
            open.append(protected)
            openEntries.append(entry)
        } else {
            open.append(sample)
        }
        openDuration += sample.duration
        openBytes += Int64(sample.data.count)
        nextDecodeTime = sample.decodeTime + sample.duration
        sampleIndex += 1
        if case .audio(let frames) = policy, open.count >= frames { try writeFragment() }
    }

    /// Adds samples in order.
    public func append(contentsOf samples: some Sequence<EncodedSample>) throws {
        for s in samples { try append(s) }
    }

    /// Writes the last fragment and the `mfra` (one `tfra`, then `mfro`), flushes the sink and returns
    /// what was written.
    public func finish() throws -> FragmentIndex {
        guard !finished else { throw FragmenterError.alreadyFinished }
        try writeFragment()
        guard !fragments.isEmpty else { throw FragmenterError.noSamples }
        finished = true
        let tfra = TfraBox(
            trackID: trackID,
            entries: fragments.map {
                TfraBox.Entry(time: UInt64($0.time), moofOffset: UInt64($0.moofOffset))
            })
        let mfra = try MfraBox(tfras: [tfra]).encoded()
        try sink.write(mfra)
        try sink.flush()
        let mfraOffset = offset
        offset += Int64(mfra.count)
        return FragmentIndex(
            trackID: trackID, codec: codec, fragments: fragments, headerSize: headerSize,
            mfraOffset: mfraOffset, mfraSize: Int64(mfra.count), totalBytes: offset)
    }

    private func validate(_ s: EncodedSample) throws {
        let i = sampleIndex
        if let expected = nextDecodeTime {
            guard s.decodeTime == expected else {
                throw FragmenterError.nonContiguousDecodeTime(sampleIndex: i, expected: expected, found: s.decodeTime)
            }
        } else if s.decodeTime < 0 {
            throw FragmenterError.negativeStartTime(s.decodeTime)
        }
        guard s.duration > 0 else { throw FragmenterError.nonPositiveDuration(sampleIndex: i, duration: s.duration) }
        guard s.duration <= Int64(UInt32.max) else {
            throw FragmenterError.durationTooLarge(sampleIndex: i, duration: s.duration)
        }
        guard !s.data.isEmpty else { throw FragmenterError.emptySample(sampleIndex: i) }
        guard s.data.count <= Int(UInt32.max) else {
            throw FragmenterError.fragmentTooLarge(bytes: Int64(s.data.count))
        }
        guard isVideo else { return }
        let cto = s.compositionOffset
        guard cto >= Int64(Int32.min), cto <= Int64(Int32.max) else {
            throw FragmenterError.compositionOffsetOutOfRange(sampleIndex: i, offset: cto)
        }
        if let problem = NALUnits.lengthPrefixProblem(s.data) {
            throw FragmenterError.malformedNALUnits(sampleIndex: i, detail: problem)
        }
    }

    /// Encodes the moof (twice: the trun data offset is moof size + 8, docs/format.md §1.5), then writes
    /// the moof, the 8-byte mdat header and each sample's bytes straight from the sample.
    private func writeFragment() throws {
        guard let first = open.first else { return }
        guard openBytes + 8 <= Int64(UInt32.max) else { throw FragmenterError.fragmentTooLarge(bytes: openBytes) }
        let samples = open.map { s in
            TrunSample(
                duration: UInt32(s.duration), size: UInt32(s.data.count),
                compositionOffset: isVideo ? Int32(s.compositionOffset) : nil)
        }
        let trun = TrunBox(dataOffset: 0, firstSampleFlags: isVideo ? TfhdBox.syncFlags : nil, samples: samples)
        let tfhd = TfhdBox(
            trackID: trackID, defaultSampleFlags: isVideo ? TfhdBox.videoDefaultFlags : TfhdBox.syncFlags)
        let tfxd = TfxdBox(time: UInt64(first.decodeTime), duration: UInt64(openDuration))
        var moof = MoofBox(
            mfhd: MfhdBox(sequenceNumber: sequenceNumber),
            trafs: [
                TrafBox(
                    tfhd: tfhd, tfdt: TfdtBox(baseMediaDecodeTime: UInt64(first.decodeTime)), truns: [trun],
                    tfxd: tfxd)
            ])
        if protector != nil {
            let withSubsamples = openEntries.contains { !$0.subsamples.isEmpty }
            moof.trafs[0].saiz = SaizBox(sizes: try openEntries.map {
                guard let size = UInt8(exactly: $0.auxiliarySize(withSubsamples: withSubsamples)) else {
                    throw FragmenterError.encryption("a sample has \($0.subsamples.count) subsamples (at most 41)")
                }
                return size
            })
            moof.trafs[0].saio = SaioBox(offsets: [0])
            moof.trafs[0].senc = SencBox(entries: openEntries)
            moof.trafs[0].piffSampleEncryption = PiffSampleEncryptionBox(entries: openEntries)
            // saio points at the first entry inside senc, counted from the moof's first byte.
            moof.trafs[0].saio = SaioBox(offsets: [UInt64(try Self.sencOffset(in: moof) + SencBox.firstEntryOffset)])
        }
        let draftSize = try moof.encoded().count
        moof.trafs[0].truns[0].dataOffset = Int32(draftSize + 8)
        let moofBytes = try moof.encoded()
        precondition(moofBytes.count == draftSize, "patching trun.data_offset must not change the moof size")
        try sink.write(moofBytes)
        try sink.write(try MdatBox.header(payloadSize: openBytes))
        for s in open { try sink.write(s.data) }
        let info = FragmentInfo(
            time: first.decodeTime, duration: openDuration, moofOffset: offset,
            moofSize: Int64(moofBytes.count), mdatSize: openBytes + 8, sampleCount: open.count)
        fragments.append(info)
        offset += info.moofSize + info.mdatSize
        sequenceNumber &+= 1
        open.removeAll(keepingCapacity: true)
        openEntries.removeAll(keepingCapacity: true)
        openDuration = 0
        openBytes = 0
    }

    /// Offset of the `senc` box from the start of `moof` (moof header, mfhd, traf header, then the traf's
    /// children before senc), from the encoded sizes of the boxes themselves.
    static func sencOffset(in moof: MoofBox) throws -> Int {
        let traf = moof.trafs[0]
        var before = 8 + (try moof.mfhd.encoded().count) + 8 + (try traf.tfhd.encoded().count)
        before += try traf.tfdt?.encoded().count ?? 0
        for t in traf.truns { before += try t.encoded().count }
        before += try traf.saiz?.encoded().count ?? 0
        before += try traf.saio?.encoded().count ?? 0
        return before
    }
}
