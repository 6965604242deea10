import ISOBMFF
import MediaCore
import Testing

/// Byte-exact expectations written by hand from docs/format.md §1 (offsets and values of each table).
@Suite struct BoxBytesTests {
    @Test func tfhdVideo() throws {  // size 20, v0, flags 0x20, track 1, default flags 0x01010000
        #expect(
            try TfhdBox(trackID: 1, defaultSampleFlags: 0x0101_0000).encoded()
                == hex("00000014 74666864 00000020 00000001 01010000"))
    }

    @Test func tfhdAudio() throws {
        #expect(
            try TfhdBox(trackID: 2, defaultSampleFlags: 0x0200_0000).encoded()
                == hex("00000014 74666864 00000020 00000002 02000000"))
    }

    @Test func trunVideo() throws {  // v1 flags 0xB05; CTO −400000 = 0xFFF9E580
        let trun = TrunBox(
            dataOffset: 0x100, firstSampleFlags: 0x0200_0000,
            samples: [
                TrunSample(duration: 400_000, size: 1000, compositionOffset: 0),
                TrunSample(duration: 400_000, size: 200, compositionOffset: -400_000),
            ])
        #expect(
            try trun.encoded()
                == hex(
                    """
                    00000030 7472756E 01000B05 00000002 00000100 02000000
                    00061A80 000003E8 00000000
                    00061A80 000000C8 FFF9E580
                    """))
    }

    @Test func trunAudio() throws {  // flags 0x301: data offset, duration, size
        let trun = TrunBox(
            dataOffset: 0x80,
            samples: [
                TrunSample(duration: 213_333, size: 300), TrunSample(duration: 213_334, size: 301),
            ])
        #expect(
            try trun.encoded()
                == hex("00000024 7472756E 00000301 00000002 00000080 00034155 0000012C 00034156 0000012D"))
    }

    @Test func tfxdSheetExample() throws {  // §1.5: second 2-second video fragment
        #expect(
            try TfxdBox(time: 20_000_000, duration: 20_000_000).encoded()
                == hex(
                    """
                    0000002C 75756964 6D1D9B0542D544E680E2141DAFF757B2 01000000 0000000001312D00 0000000001312D00
                    """))
    }

    @Test func mfhd() throws {
        #expect(try MfhdBox(sequenceNumber: 1).encoded() == hex("00000010 6D666864 00000000 00000001"))
    }

    @Test func tfra() throws {  // v1, length sizes 0, 19-byte entries
        let box = TfraBox(
            trackID: 1,
            entries: [
                TfraBox.Entry(time: 0, moofOffset: 0x2F0),
                TfraBox.Entry(time: 20_000_000, moofOffset: 0x1000),
            ])
        #expect(
            try box.encoded()
                == hex(
                    """
                    0000003E 74667261 01000000 00000001 00000000 00000002
                    0000000000000000 00000000000002F0 010101
                    0000000001312D00 0000000000001000 010101
                    """))
    }

    @Test func mfro() throws {  // §1.7 example: mfra of 262 bytes
        #expect(try MfroBox(mfraSize: 262).encoded() == hex("00000010 6D66726F 00000000 00000106"))
    }

    @Test func ftyp() throws {  // §1.2: 24 bytes, isml / 1 / piff iso2
        #expect(try FtypBox.piff.encoded() == hex("00000018 66747970 69736D6C 00000001 70696666 69736F32"))
    }

    @Test func mdhd() throws {  // v1, 10 MHz, unknown duration, und
        #expect(
            try MdhdBox().encoded()
                == hex(
                    """
                    0000002C 6D646864 01000000 0000000000000000 0000000000000000 00989680 FFFFFFFFFFFFFFFF 55C4 0000
                    """))
    }

    @Test func avcCFromSheetExample() throws {  // §4.4 CodecPrivateData split into SPS / PPS
        let box = AvcCBox(config: Synthetic.videoConfig())
        #expect(
            try box.encoded()
                == hex(
                    """
                    00000031 61766343 01 64 00 1F FF E1
                    001A 6764001FACD9405005BB011000000300100000030320F1831960
                    01 0004 68EFBCB0
                    """))
    }

    @Test func esdsFor1190() throws {  // ES(3) → DecoderConfig(4: 0x40, 0x15) → DSI(5: 11 90) → SL(6: 02)
        let box = EsdsBox(audioSpecificConfig: [0x11, 0x90])
        #expect(
            try box.encoded()
                == hex(
                    """
                    00000027 65736473 00000000
                    03 19 0000 00
                      04 11 40 15 000000 00000000 00000000
                        05 02 1190
                      06 01 02
                    """))
    }

    @Test func mdatHeader() throws {
        #expect(try MdatBox.header(payloadSize: 4) == hex("0000000C 6D646174"))
        #expect(try MdatBox(data: [1, 2, 3, 4]).encoded() == hex("0000000C 6D646174 01020304"))
    }

    @Test func tkhdFlagsDeriveFromFields() throws {
        var box = TkhdBox(trackID: 1, volume: 0)
        #expect(Array(try box.encoded()[8..<12]) == [1, 0, 0, 7])
        box.isInPreview = false
        #expect(Array(try box.encoded()[8..<12]) == [1, 0, 0, 3])
    }

    @Test func trunRefusesMixedFields() {
        let trun = TrunBox(samples: [TrunSample(duration: 1), TrunSample(duration: 1, size: 2)])
        #expect(throws: MP4Error.self) { try trun.encoded() }
    }

    @Test func videoMoovHasTheSheetShape() throws {
        let moov = try PIFFHeader.moov(trackID: 1, codec: .video(Synthetic.videoConfig()))
        let tree = try BoxDump.tree(of: moov.encoded())
        func names(_ n: DumpNode) -> [String] { [n.name] + n.children.flatMap(names) }
        #expect(
            names(tree[0]) == [
                "moov", "mvhd", "trak", "tkhd", "mdia", "mdhd", "hdlr", "minf", "vmhd", "dinf",
                "dref", "url ", "stbl", "stsd", "avc1", "avcC", "stts", "stsc", "stsz", "stco",
                "mvex", "trex",
            ])
    }
}
