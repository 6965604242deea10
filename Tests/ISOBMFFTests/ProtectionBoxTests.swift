import ISOBMFF
import MediaCore
import Testing

/// Byte layouts written by hand from ISO/IEC 23001-7 §7.2, §8.1, §8.2, ISO/IEC 14496-12 §8.7.8, §8.7.9,
/// §8.12 and PIFF 1.1 §5.3.2.1 (docs/format.md §12), each decoded back.
@Suite struct ProtectionBoxTests {
    let kid: [UInt8] = Array(1...16)
    let entries = [
        SampleEncryptionEntry(iv: hex("0000000000000001"), subsamples: [Subsample(clearBytes: 5, protectedBytes: 16)]),
        SampleEncryptionEntry(iv: hex("0000000000000002"), subsamples: [Subsample(clearBytes: 3, protectedBytes: 0)]),
    ]

    func roundTrip<B: Box>(_ box: B) throws -> Bool { try B.decode(try box.encoded()) == box }

    @Test func tenc() throws {
        let box = TencBox(perSampleIVSize: 8, defaultKID: kid)
        #expect(try box.encoded() == hex("00000020 74656E63 00000000 0000 01 08 0102030405060708090A0B0C0D0E0F10"))
        #expect(try roundTrip(box))
    }

    @Test func psshPlayReadyVersion0() throws {
        let pr = hex("9A04F079 9840 4286 AB92 E65BE0885F95")
        let box = PsshBox(systemID: pr, data: [0xAA, 0xBB])
        #expect(try box.encoded() == hex("00000022 70737368 00000000 9A04F07998404286AB92E65BE0885F95 00000002 AABB"))
        #expect(try roundTrip(box))
        let v1 = PsshBox(systemID: pr, keyIDs: [kid], data: [])
        #expect(try v1.encoded() == hex("00000034 70737368 01000000 9A04F07998404286AB92E65BE0885F95 00000001"
                                        + "0102030405060708090A0B0C0D0E0F10 00000000"))
        #expect(try roundTrip(v1))
    }

    @Test func sencWithSubsamples() throws {
        let box = SencBox(entries: entries)
        #expect(try box.encoded() == hex("""
            00000030 73656E63 00000002 00000002
            0000000000000001 0001 0005 00000010
            0000000000000002 0001 0003 00000000
            """))
        #expect(try roundTrip(box))
        // 16-byte IVs are found from the box length alone.
        let wide = SencBox(entries: [SampleEncryptionEntry(iv: Array(repeating: 7, count: 16))])
        #expect(try roundTrip(wide))
    }

    @Test func piffSampleEncryptionUUID() throws {
        let box = PiffSampleEncryptionBox(entries: entries)
        #expect(try box.encoded() == hex("""
            00000040 75756964 A2394F525A9B4F14A2446C427C648DF4 00000002 00000002
            0000000000000001 0001 0005 00000010
            0000000000000002 0001 0003 00000000
            """))
        #expect(try roundTrip(box))
    }

    @Test func saizAndSaio() throws {
        #expect(try SaizBox(sizes: [16, 16]).encoded() == hex("00000011 7361697A 00000000 10 00000002"))
        #expect(try SaizBox(sizes: [16, 22]).encoded() == hex("00000013 7361697A 00000000 00 00000002 10 16"))
        #expect(try SaioBox(offsets: [100]).encoded() == hex("00000014 7361696F 00000000 00000001 00000064"))
        #expect(try roundTrip(SaizBox(sizes: [16, 22])))
        #expect(try roundTrip(SaizBox(sizes: [16, 16])))
        #expect(try roundTrip(SaioBox(offsets: [100])))
    }

    @Test func sinfAndEncryptedEntries() throws {
        let sinf = SinfBox.cenc(original: "avc1", kid: kid, ivSize: 8)
        #expect(try sinf.encoded() == hex("""
            00000050 73696E66 0000000C 66726D61 61766331
            00000014 7363686D 00000000 63656E63 00010000
            00000028 73636869 00000020 74656E63 00000000 0000 01 08 0102030405060708090A0B0C0D0E0F10
            """))
        #expect(try roundTrip(sinf))
        // An encrypted moov reads back with its sinf and pssh.
        let protection = TrackProtection(kid: kid, ivSize: 8, pssh: [PsshBox(systemID: Array(repeating: 9, count: 16), data: [1])])
        for codec in [CodecConfig.video(Synthetic.videoConfig()), .audio(Synthetic.audioConfig())] {
            let moov = try PIFFHeader.moov(trackID: 1, codec: codec, protection: protection)
            let back = try MoovBox.decode(try moov.encoded())
            #expect(back == moov)
            #expect(back.pssh.count == 1)
            let entry = back.tracks[0].mdia.minf.stbl.stsd.entries[0]
            #expect(entry.type == (codec.isVideo ? "encv" : "enca"))
        }
    }
}
