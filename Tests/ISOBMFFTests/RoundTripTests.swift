import ISOBMFF
import MediaCore
import Testing

/// Every box we write decodes back to the same value (`Box.decode`).
enum BoxFixtures {
    static var all: [any Box] {
        let video = try! PIFFHeader.moov(trackID: 1, codec: .video(Synthetic.videoConfig()))
        let audio = try! PIFFHeader.moov(trackID: 2, codec: .audio(Synthetic.audioConfig()))
        var tfhdAll = TfhdBox(trackID: 9, defaultSampleFlags: 5)
        tfhdAll.baseDataOffset = 1 << 40
        tfhdAll.sampleDescriptionIndex = 1
        tfhdAll.defaultSampleDuration = 400_000
        tfhdAll.defaultSampleSize = 77
        tfhdAll.durationIsEmpty = true
        tfhdAll.defaultBaseIsMoof = true
        let videoTrun = TrunBox(
            dataOffset: 123, firstSampleFlags: 0x0200_0000,
            samples: [
                TrunSample(duration: 400_000, size: 10, compositionOffset: 800_000),
                TrunSample(duration: 400_000, size: 11, compositionOffset: -400_000),
            ])
        let audioTrun = TrunBox(dataOffset: 99, samples: [TrunSample(duration: 213_333, size: 3)])
        let flagged = TrunBox(samples: [TrunSample(flags: 0x0101_0000), TrunSample(flags: 0x0200_0000)])
        let tfxd = TfxdBox(time: 1 << 33, duration: 20_020_000)
        let traf = TrafBox(tfhd: TfhdBox(trackID: 1, defaultSampleFlags: 0x0101_0000), truns: [videoTrun], tfxd: tfxd)
        let tfra = TfraBox(
            trackID: 1,
            entries: [
                TfraBox.Entry(time: 0, moofOffset: 1000),
                TfraBox.Entry(
                    time: 5, moofOffset: 1 << 35, trafNumber: 300,
                    trunNumber: 70_000, sampleNumber: 1 << 25),
            ])
        var mvhd = MvhdBox(duration: 12345, nextTrackID: 3)
        mvhd.creationTime = 1 << 40
        var stsz = StszBox()
        stsz.entrySizes = [1, 2, 3]
        var stszFixed = StszBox()
        stszFixed.sampleSize = 9
        stszFixed.sampleCount = 4
        var mdhd = MdhdBox(duration: 99, language: "eng")
        mdhd.modificationTime = 7
        return [
            FtypBox.piff, mvhd, TkhdBox(trackID: 1, volume: 0, width: 1280 << 16, height: 720 << 16), mdhd,
            HdlrBox.video, HdlrBox.sound, VmhdBox(), SmhdBox(), DinfBox(), DrefBox(), UrlBox(),
            UrlBox(location: "x.mp4"),
            SttsBox(entries: [.init(sampleCount: 2, sampleDelta: 3)]),
            StscBox(entries: [.init(firstChunk: 1, samplesPerChunk: 2, sampleDescriptionIndex: 1)]),
            stsz, stszFixed, StcoBox(chunkOffsets: [8, 9]), TrexBox(trackID: 2), MvexBox(trex: [TrexBox(trackID: 1)]),
            video, audio, video.tracks[0], video.tracks[0].mdia, video.tracks[0].mdia.minf,
            video.tracks[0].mdia.minf.stbl, video.tracks[0].mdia.minf.stbl.stsd, audio.tracks[0].mdia.minf.stbl.stsd,
            AvcCBox(config: Synthetic.videoConfig()),
            EsdsBox(audioSpecificConfig: [0x12, 0x10], maxBitrate: 128_000, avgBitrate: 125_000),
            EsdsBox(audioSpecificConfig: Array(repeating: 7, count: 200)),  // multi-byte descriptor lengths
            Avc1SampleEntry(width: 320, height: 180, avcC: AvcCBox(config: Synthetic.videoConfig())),
            Mp4aSampleEntry(channelCount: 2, sampleRate: 44100, esds: EsdsBox(audioSpecificConfig: [0x12, 0x10])),
            MfhdBox(sequenceNumber: 42), TfhdBox(trackID: 1), tfhdAll, videoTrun, audioTrun, flagged,
            TrunBox(samples: []), tfxd, traf,
            MoofBox(mfhd: MfhdBox(sequenceNumber: 1), trafs: [traf]), MdatBox(data: [1, 2, 3]),
            tfra, MfroBox(mfraSize: 16), try! MfraBox(tfras: [tfra]),
        ]
    }
}

@Suite struct RoundTripTests {
    @Test(arguments: BoxFixtures.all.indices)
    func roundTrips(_ i: Int) throws {
        try check(BoxFixtures.all[i])
    }

    private func check<B: Box>(_ box: B) throws {
        let bytes = try box.encoded()
        #expect(try B.decode(bytes) == box, "\(B.type)")
        // the size field is the length, and re-encoding the decoded value gives the same bytes
        #expect(Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]) == bytes.count)
        #expect(try B.decode(bytes).encoded() == bytes)
    }

    @Test func mfraSizeIsSelfConsistent() throws {
        let mfra = try MfraBox(tfras: [TfraBox(trackID: 1, entries: [TfraBox.Entry(time: 0, moofOffset: 8)])])
        #expect(Int(mfra.mfro.mfraSize) == (try mfra.encoded().count))
    }

    @Test func decodeRejectsWrongType() {
        #expect(throws: MP4Error.self) { try TfhdBox.decode(try MfhdBox(sequenceNumber: 1).encoded()) }
    }

    @Test func decodeRejectsTrailingBytes() throws {
        var bytes = try MfhdBox(sequenceNumber: 1).encoded()
        bytes[3] = 20
        bytes += [0, 0, 0, 0]
        #expect(throws: MP4Error.self) { try MfhdBox.decode(bytes) }
    }
}
