public import MediaCore

/// The `ftyp` + `moov` that start every `.ismv`/`.isma` (docs/format.md §1.2, §1.3): one track, mdhd
/// at 10 MHz, empty sample tables, zero-default `trex`.
public enum PIFFHeader {
    /// The moov for one track: `avc1`+`avcC` for video, `mp4a`+`esds` for audio. Durations are
    /// written as unknown (all-ones) because the header is written before the samples.
    public static func moov(trackID: UInt32, codec: CodecConfig, protection: TrackProtection? = nil) throws -> MoovBox {
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
            var e = Avc1SampleEntry(width: w, height: h, avcC: AvcCBox(config: v))
            if let p = protection { e.sinf = .cenc(original: Avc1SampleEntry.type, kid: p.kid, ivSize: p.ivSize) }
            entry = .avc1(e)
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
            var e = Mp4aSampleEntry(channelCount: channels, sampleRate: rate, esds: esds)
            if let p = protection { e.sinf = .cenc(original: Mp4aSampleEntry.type, kid: p.kid, ivSize: p.ivSize) }
            entry = .mp4a(e)
        }
        let mdia = MdiaBox(
            mdhd: MdhdBox(timescale: UInt32(Clock.timescale)), hdlr: hdlr,
            minf: MinfBox(mediaHeader: header, stbl: StblBox(stsd: StsdBox(entries: [entry]))))
        var moov = MoovBox(
            mvhd: MvhdBox(timescale: UInt32(Clock.timescale), duration: 0, nextTrackID: trackID + 1),
            tracks: [TrakBox(tkhd: tkhd, mdia: mdia)],
            mvex: MvexBox(trex: [TrexBox(trackID: trackID)]))
        moov.pssh = protection?.pssh ?? []
        return moov
    }

    /// `ftyp` (``FtypBox/piff``) followed by ``moov(trackID:codec:)``.
    public static func bytes(trackID: UInt32, codec: CodecConfig, protection: TrackProtection? = nil) throws -> [UInt8] {
        var w = ByteWriter(capacity: 1024)
        try FtypBox.piff.write(to: &w)
        try moov(trackID: trackID, codec: codec, protection: protection).write(to: &w)
        return w.bytes
    }
}
