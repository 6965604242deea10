internal import MediaCore

/// What ``TextFragmenter`` wrote: the same facts as ``FragmentIndex`` for a text track, which has no
/// ``CodecConfig``.
public struct TextTrackIndex: Sendable, Equatable, Codable {
    public var trackID: UInt32
    public var fragments: [FragmentInfo]
    /// Size of `ftyp` + `moov`.
    public var headerSize: Int64
    public var mfraOffset: Int64
    public var mfraSize: Int64
    public var totalBytes: Int64

    /// End of the last fragment in 10 MHz units.
    public var duration: Int64 { fragments.last.map { $0.time + $0.duration } ?? 0 }
    /// Sum of the mdat payloads (the TTML documents).
    public var mediaBytes: Int64 { fragments.reduce(0) { $0 + $1.mdatSize - 8 } }
}

/// Streaming writer of a Smooth text track file (`.ismt`, docs/format.md "Text track"): `ftyp` + a `moov`
/// with one `subt` track (`sthd`, `stpp` sample entry for TTML, ISO/IEC 14496-30), then one `moof` + `mdat`
/// per fragment, each holding exactly one sample — a whole TTML document whose times are relative to the
/// fragment start — with `tfdt` and `tfxd` carrying the fragment's absolute time, and `mfra` at the end.
/// The caller chooses the fragment times (the presentation's video grid); they must be contiguous.
public final class TextFragmenter {
    public let trackID: UInt32
    private let sink: any ByteSink
    private let headerSize: Int64
    private var offset: Int64
    private var nextTime: Int64?
    private var sequenceNumber: UInt32 = 1
    private var fragments: [FragmentInfo] = []
    private var finished = false

    /// Writes the header for a text track `trackID` in `language` (ISO 639-2, `und` when unknown).
    public init(sink: any ByteSink, trackID: UInt32, language: String) throws {
        guard trackID > 0 else { throw FragmenterError.invalidPolicy("track ID 0 is reserved") }
        self.sink = sink
        self.trackID = trackID
        let header = try Self.header(trackID: trackID, language: language)
        try sink.write(header)
        headerSize = Int64(header.count)
        offset = headerSize
    }

    /// `ftyp` (``FtypBox/piff``) and the text track's `moov`.
    public static func header(trackID: UInt32, language: String) throws -> [UInt8] {
        let mdia = MdiaBox(
            mdhd: MdhdBox(timescale: UInt32(Clock.timescale), language: language), hdlr: .subtitle,
            minf: MinfBox(mediaHeader: .subtitle(SthdBox()),
                          stbl: StblBox(stsd: StsdBox(entries: [StppSampleEntry().sampleEntry]))))
        let moov = MoovBox(
            mvhd: MvhdBox(timescale: UInt32(Clock.timescale), duration: 0, nextTrackID: trackID + 1),
            tracks: [TrakBox(tkhd: TkhdBox(trackID: trackID, volume: 0), mdia: mdia)],
            mvex: MvexBox(trex: [TrexBox(trackID: trackID)]))
        var w = ByteWriter(capacity: 1024)
        try FtypBox.piff.write(to: &w)
        try moov.write(to: &w)
        return w.bytes
    }

    /// Writes one fragment `[time, time + duration)` holding `document` as its single sample.
    public func append(document: [UInt8], time: Int64, duration: Int64) throws {
        guard !finished else { throw FragmenterError.alreadyFinished }
        let i = fragments.count
        if let expected = nextTime, time != expected {
            throw FragmenterError.nonContiguousDecodeTime(sampleIndex: i, expected: expected, found: time)
        }
        if time < 0 { throw FragmenterError.negativeStartTime(time) }
        guard duration > 0 else { throw FragmenterError.nonPositiveDuration(sampleIndex: i, duration: duration) }
        guard duration <= Int64(UInt32.max) else { throw FragmenterError.durationTooLarge(sampleIndex: i, duration: duration) }
        guard !document.isEmpty else { throw FragmenterError.emptySample(sampleIndex: i) }
        guard document.count + 8 <= Int(UInt32.max) else { throw FragmenterError.fragmentTooLarge(bytes: Int64(document.count)) }
        let trun = TrunBox(dataOffset: 0, firstSampleFlags: nil,
                           samples: [TrunSample(duration: UInt32(duration), size: UInt32(document.count), compositionOffset: nil)])
        var moof = MoofBox(
            mfhd: MfhdBox(sequenceNumber: sequenceNumber),
            trafs: [TrafBox(tfhd: TfhdBox(trackID: trackID, defaultSampleFlags: TfhdBox.syncFlags),
                            tfdt: TfdtBox(baseMediaDecodeTime: UInt64(time)), truns: [trun],
                            tfxd: TfxdBox(time: UInt64(time), duration: UInt64(duration)))])
        let draftSize = try moof.encoded().count
        moof.trafs[0].truns[0].dataOffset = Int32(draftSize + 8)
        let moofBytes = try moof.encoded()
        precondition(moofBytes.count == draftSize, "patching trun.data_offset must not change the moof size")
        try sink.write(moofBytes)
        try sink.write(try MdatBox.header(payloadSize: Int64(document.count)))
        try sink.write(document)
        let info = FragmentInfo(time: time, duration: duration, moofOffset: offset, moofSize: Int64(moofBytes.count),
                                mdatSize: Int64(document.count) + 8, sampleCount: 1)
        fragments.append(info)
        offset += info.moofSize + info.mdatSize
        sequenceNumber &+= 1
        nextTime = time + duration
    }

    /// Writes the `mfra`, flushes and returns what was written.
    public func finish() throws -> TextTrackIndex {
        guard !finished else { throw FragmenterError.alreadyFinished }
        guard !fragments.isEmpty else { throw FragmenterError.noSamples }
        finished = true
        let tfra = TfraBox(trackID: trackID, entries: fragments.map {
            TfraBox.Entry(time: UInt64($0.time), moofOffset: UInt64($0.moofOffset))
        })
        let mfra = try MfraBox(tfras: [tfra]).encoded()
        try sink.write(mfra)
        try sink.flush()
        let mfraOffset = offset
        offset += Int64(mfra.count)
        return TextTrackIndex(trackID: trackID, fragments: fragments, headerSize: headerSize, mfraOffset: mfraOffset,
                              mfraSize: Int64(mfra.count), totalBytes: offset)
    }
}
