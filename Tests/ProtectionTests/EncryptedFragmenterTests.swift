import ISOBMFF
import MediaCore
import Platform
import Protection
import Testing

/// The muxer with a `cenc` encryptor: the moof's senc/PIFF/saiz/saio agree, and decrypting the mdat with
/// the written IVs and maps gives back every original sample.
@Suite struct EncryptedFragmenterTests {
    static let sps: [UInt8] = [0x67, 0x64, 0x00, 0x1F, 0xAC, 0xD9, 0x40, 0x50, 0x05, 0xBB, 0x01, 0x10, 0x00, 0x00,
                               0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xF1, 0x83, 0x19, 0x60]

    func nal(_ type: UInt8, _ payload: Int, seed: Int) -> [UInt8] {
        let n = payload + 1
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), 0x60 | type]
            + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed) }
    }

    @Test func videoFragmentsDecryptBack() throws {
        let key = try ContentKey(argument: "00112233445566778899aabbccddeeff:000102030405060708090a0b0c0d0e0f")
        let settings = try ProtectionSettings(video: key)
        let sink = MemorySink()
        let codec = CodecConfig.video(VideoCodecConfig(sps: Self.sps, pps: [0x68, 0xEF, 0xBC, 0xB0], width: 1280, height: 720,
                                                       frameDuration: Rational(1, 25)))
        let fragmenter = try Fragmenter(sink: sink, trackID: 1, codec: codec, policy: .video(minimumDuration: 0),
                                        protector: try settings.encryptor(video: true, ivSeed: Array("v1/test.ismv".utf8)))
        var samples: [EncodedSample] = []
        for n in 0..<30 {
            let data = n % 10 == 0 ? nal(6, 10, seed: n) + nal(5, 3000 + n, seed: n) : nal(1, 17 * n + 3, seed: n)
            samples.append(EncodedSample(data: data, decodeTime: Int64(n) * 400_000, presentationTime: Int64(n) * 400_000,
                                         duration: 400_000, isSync: n % 10 == 0))
        }
        try fragmenter.append(contentsOf: samples)
        let index = try fragmenter.finish()
        let file = sink.bytes
        #expect(IsmvChecker.check(MemorySource(file)).isEmpty, "\(IsmvChecker.check(MemorySource(file)))")
        var k = 0
        var ivs = Set<[UInt8]>()
        for f in index.fragments {
            let moofBytes = Array(file[Int(f.moofOffset)..<Int(f.moofOffset + f.moofSize)])
            let moof = try MoofBox.decode(moofBytes)
            let traf = try #require(moof.trafs.first)
            let senc = try #require(traf.senc)
            #expect(traf.piffSampleEncryption?.entries == senc.entries)
            // saio points at the first IV inside the moof.
            let at = Int(try #require(traf.saio?.offsets.first))
            #expect(Array(moofBytes[at..<at + 8]) == senc.entries[0].iv)
            var offset = Int(f.moofOffset + f.moofSize) + 8
            for (e, s) in zip(senc.entries, traf.truns[0].samples) {
                let size = Int(s.size ?? 0)
                var data = Array(file[offset..<offset + size])
                #expect(ivs.insert(e.iv).inserted)
                AES128.ctr(&data, ranges: SubsampleMap.protectedRanges(e.subsamples), key: key.key.bytes, iv: e.iv + Array(repeating: 0, count: 8))
                let same = data == samples[k].data
                #expect(same, "sample \(k)")
                if k % 10 == 0 {
                    let encrypted = Array(file[offset..<offset + size]) != samples[k].data
                    #expect(encrypted)
                }
                offset += size
                k += 1
            }
        }
        #expect(k == samples.count)
        // The moov reads back as encv with the PlayReady pssh.
        let tracks = try MovieReader.tracks(in: MemorySource(file))
        #expect(tracks.first?.codec != nil)
    }
}
