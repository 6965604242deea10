public import MediaCore

/// The `ftyp` + `moov` that start every `.ismv`/`.isma` (docs/format.md §1.2, §1.3): one track, mdhd
/// at 10 MHz, empty sample tables, zero-default `trex`.
public enum PIFFHeader {
    /// The moov for one track: `avc1`+`avcC` for video, `mp4a`+`esds` for audio. Durations are
    /// written as unknown (all-ones) because the header is written before the samples.
    public static func moov(trackID: UInt32, codec: CodecConfig) throws -> MoovBox {
        let tkhd: TkhdBox
        let hdlr: HdlrBox
        let header: MinfBox.MediaHeader
        let entry: SampleEntry
        switch codec {
        case .video(let v):
            guard let w = UInt16(exactly: v.width), let h = UInt16(exactly: v.height), w > 0, h > 0 else {
                throw MP4Error(
                    code: .invalidValue, box: "avc1", path: "moov/trak/mdia/minf/stbl/stsd/avc1",
                    detail: "picture size \(v.width)x\(v.height)")
            }
            tkhd = TkhdBox(trackID: trackID, volume: 0, width: UInt32(w) << 16, height: UInt32(h) << 16)
            hdlr = .video
            header = .video(VmhdBox())
            entry = .avc1(Avc1SampleEntry(width: w, height: h, avcC: AvcCBox(config: v)))
        case .audio(let a):
            guard let channels = UInt16(exactly: a.channels), let rate = UInt32(exactly: a.sampleRate) else {
                throw MP4Error(
                    code: .invalidValue, box: "mp4a", path: "moov/trak/mdia/minf/stbl/stsd/mp4a",
                    detail: "\(a.channels) channels at \(a.sampleRate) Hz")
            }
            tkhd = TkhdBox(trackID: trackID, volume: 0x0100)
            hdlr = .sound
            header = .sound(SmhdBox())
            var esds = EsdsBox(audioSpecificConfig: a.audioSpecificConfig)
            esds.esID = UInt16(truncatingIfNeeded: trackID)
            entry = .mp4a(Mp4aSampleEntry(channelCount: channels, sampleRate: rate, esds: esds))
        }
        let mdia = MdiaBox(
            mdhd: MdhdBox(timescale: UInt32(Clock.timescale)), hdlr: hdlr,
            minf: MinfBox(mediaHeader: header, stbl: StblBox(stsd: StsdBox(entries: [entry]))))
        return MoovBox(
            mvhd: MvhdBox(timescale: UInt32(Clock.timescale), duration: 0, nextTrackID: trackID + 1),
            tracks: [TrakBox(tkhd: tkhd, mdia: mdia)],
            mvex: MvexBox(trex: [TrexBox(trackID: trackID)]))
    }

    /// `ftyp` (``FtypBox/piff``) followed by ``moov(trackID:codec:)``.
    public static func bytes(trackID: UInt32, codec: CodecConfig) throws -> [UInt8] {
        var w = ByteWriter(capacity: 1024)
        try FtypBox.piff.write(to: &w)
        try moov(trackID: trackID, codec: codec).write(to: &w)
        return w.bytes
    }
}
