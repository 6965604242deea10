import MediaCore
import Testing

@Test func frameTimesAt2997AreExact() {
    let frame = Rational(1001, 30000)
    #expect(Clock.time(ofUnit: 0, unitDuration: frame) == 0)
    #expect(Clock.time(ofUnit: 1, unitDuration: frame) == 333_667)
    #expect(Clock.time(ofUnit: 2, unitDuration: frame) == 667_333)
    #expect(Clock.time(ofUnit: 60, unitDuration: frame) == 20_020_000)
}

@Test func aacFrameTimesAt48kHz() {
    let sample = Rational(1, 48000)
    // docs/format.md §4.6: boundaries at round(k·1024·10⁷/48000) for k = 94, 188, 282.
    #expect(Clock.time(ofUnit: 94 * 1024, unitDuration: sample) == 20_053_333)
    #expect(Clock.time(ofUnit: 188 * 1024, unitDuration: sample) == 40_106_667)
    #expect(Clock.time(ofUnit: 282 * 1024, unitDuration: sample) == 60_160_000)
}

@Test func tenHoursDoNotDrift() {
    // 10 h at 23.976 fps: the last frame start equals the exact rational value rounded once.
    let frame = Rational(1001, 24000)
    let frames: Int64 = 10 * 3600 * 24000 / 1001
    let t = Clock.time(ofUnit: frames, unitDuration: frame)
    let exact = Double(frames) * 1001.0 * 1e7 / 24000.0
    #expect(abs(Double(t) - exact) <= 0.5)
    // Durations are differences, so their sum telescopes to the last start.
    var sum: Int64 = 0
    for n in Int64(0)..<1000 {
        sum += Clock.time(ofUnit: n + 1, unitDuration: frame) - Clock.time(ofUnit: n, unitDuration: frame)
    }
    #expect(sum == Clock.time(ofUnit: 1000, unitDuration: frame))
}

@Test func negativeUnitsRoundSymmetrically() {
    let sample = Rational(1, 48000)
    #expect(Clock.time(ofUnit: -1024, unitDuration: sample) == -213_333)
}

@Test func rationalReduces() {
    #expect(Rational(60000, 2002) == Rational(30000, 1001))
    #expect(Rational(4, -6) == Rational(-2, 3))
    #expect(Rational(16, 9) * Rational(3, 4) == Rational(4, 3))
}

@Test func aacLCConfig() {
    #expect(AudioCodecConfig.lcAudioSpecificConfig(sampleRate: 48000, channels: 2) == [0x11, 0x90])
    #expect(AudioCodecConfig.lcAudioSpecificConfig(sampleRate: 44100, channels: 2) == [0x12, 0x10])
    #expect(AudioCodecConfig.lcAudioSpecificConfig(sampleRate: 48000, channels: 1) == [0x11, 0x88])
    #expect(AudioCodecConfig.lcAudioSpecificConfig(sampleRate: 12345, channels: 2) == nil)
}

/// channelConfiguration per ISO/IEC 14496-3 Table 1.19: 1…6 channels are themselves, 8 channels (7.1) are
/// configuration 7; 7 channels, 0 and more than 8 have no 2-byte config.
@Test(arguments: [(0, nil), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, nil), (8, 7), (9, nil), (24, nil)] as [(Int, Int?)])
func aacChannelConfiguration(channels: Int, configuration: Int?) {
    #expect(AudioCodecConfig.channelConfiguration(channels: channels) == configuration)
    let asc = AudioCodecConfig.lcAudioSpecificConfig(sampleRate: 48000, channels: channels)
    if let configuration {
        // 00010 0011 cccc 000: LC, 48 kHz (index 3), the configuration, three zero flags.
        #expect(asc == [0x11, UInt8(0x80 | configuration << 3)], "\(channels) channels")
        #expect(asc.map { Int($0[1] >> 3) & 0xF } == configuration)
    } else {
        #expect(asc == nil, "\(channels) channels")
    }
}

@Test func annexBToLengthPrefixed() {
    // AUD, SPS, PPS, IDR slice with 3- and 4-byte start codes.
    let annexB: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1F, 0, 0, 1, 0x68, 0xEE,
                           0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x10]
    let (data, idr) = annexB.withUnsafeBytes { H264.lengthPrefixed(fromAnnexB: $0) }
    #expect(idr)
    #expect(data == [0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x10])
    #expect(data.withUnsafeBytes { H264.containsIDR(lengthPrefixed: $0) })
    let sets = H264.parameterSets(fromExtradata: Array(annexB[4...]))
    #expect(sets?.sps == [0x67, 0x64, 0x00, 0x1F])
    #expect(sets?.pps == [0x68, 0xEE])
}

@Test func avcCParameterSets() {
    let avcC: [UInt8] = [1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 4, 0x67, 0x64, 0, 0x1F, 1, 0, 2, 0x68, 0xEE]
    let sets = H264.parameterSets(fromExtradata: avcC)
    #expect(sets?.sps == [0x67, 0x64, 0, 0x1F])
    #expect(sets?.pps == [0x68, 0xEE])
    #expect(sets?.lengthSize == 4)
    #expect(H264.parameterSets(fromExtradata: [1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 40]) == nil)
}
