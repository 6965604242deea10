import MediaCore
import SmoothManifest
import TestSupport
import Testing

@Suite struct BuilderTests {
    func errorCode(_ tracks: [ManifestTrack], _ options: ManifestBuilder.Options = .init()) -> ManifestError.Code? {
        do {
            _ = try ManifestBuilder(presentation: "p", options: options).build(tracks)
            return nil
        } catch {
            return error.code
        }
    }

    var video: ManifestTrack { Example46.tracks[0] }
    var audio: ManifestTrack { Example46.tracks[3] }

    @Test func misalignedQualityLevelsThrow() {
        var other = Example46.tracks[1]
        other.fragments[2].duration += 1
        other.fragments[3].time += 1
        other.fragments[3].duration -= 1
        #expect(errorCode([video, other]) == .misalignedFragments)
        other.fragments = Array(video.fragments.dropLast())
        #expect(errorCode([video, other]) == .misalignedFragments)
    }

    @Test func duplicateBitratesThrow() {
        var other = Example46.tracks[1]
        other.bitrate = video.bitrate
        #expect(errorCode([video, other]) == .duplicateBitrate)
        // The same bitrate in different StreamIndexes is fine.
        var a = audio
        a.bitrate = video.bitrate
        #expect(errorCode([video, a]) == nil)
    }

    @Test func codecPrivateDataShapeIsChecked() {
        guard case .video(let v) = video.codec else { Issue.record("not video"); return }
        func with(_ change: (inout VideoCodecConfig) -> Void) -> ManifestTrack {
            var t = video
            var c = v
            change(&c)
            t.codec = .video(c)
            return t
        }
        #expect(errorCode([with { swap(&$0.sps, &$0.pps) }]) == .invalidCodecPrivateData)      // PPS before SPS
        #expect(errorCode([with { $0.sps += [0, 0, 0, 1] + $0.pps }]) == .invalidCodecPrivateData) // two NALs in one
        #expect(errorCode([with { $0.pps += [0, 0, 1, 0x06, 0x05] }]) == .invalidCodecPrivateData) // 3-byte start code + SEI
        #expect(errorCode([with { $0.sps = [] }]) == .invalidCodecPrivateData)
        #expect(errorCode([with { $0.pps = [0x06, 0x05, 0x01] }]) == .invalidCodecPrivateData)   // SEI as PPS
        #expect(errorCode([with { $0.sps.append(0) }]) == .invalidCodecPrivateData)              // trailing zero byte
    }

    @Test func audioSpecificConfigMustBeTwoByteLCMatchingRateAndChannels() {
        func with(_ asc: [UInt8], _ rate: Int = 48000, _ ch: Int = 2) -> ManifestTrack {
            var t = audio
            t.codec = .audio(AudioCodecConfig(audioSpecificConfig: asc, sampleRate: rate, channels: ch))
            return t
        }
        #expect(errorCode([with([0x11, 0x90, 0x56, 0xE5, 0x00])]) == .invalidAudioConfig) // libavcodec's 5-byte form
        #expect(errorCode([with([0x12, 0x10])]) == .invalidAudioConfig)                   // 44.1 kHz ASC, 48 kHz declared
        #expect(errorCode([with([0x12, 0x10], 44100)]) == nil)
        #expect(errorCode([with([0x11, 0x88], 48000, 1)]) == nil)
    }

    @Test func timingErrors() {
        var t = video
        t.fragments = []
        #expect(errorCode([t]) == .noFragments)
        t.fragments = [FragmentTiming(time: -213_333, duration: 20_000_000)]
        #expect(errorCode([t]) == .invalidFragmentTiming)
        t.fragments = [FragmentTiming(time: 0, duration: 20_000_000), FragmentTiming(time: 19_999_999, duration: 1)]
        #expect(errorCode([t]) == .invalidFragmentTiming)  // overlap
        t.fragments = [FragmentTiming(time: 0, duration: 0)]
        #expect(errorCode([t]) == .invalidFragmentTiming)
        #expect(errorCode([]) == .noTracks)
    }

    @Test func trackFieldErrors() {
        var t = video
        t.kind = .audio
        #expect(errorCode([t]) == .kindMismatch)
        t = video
        t.source = "../x.ismv"
        #expect(errorCode([t]) == .invalidTrack)
        t = video
        t.trackName = "1video"
        #expect(errorCode([t]) == .invalidName)
        t = audio
        t.language = "en"
        #expect(errorCode([t]) == .invalidTrack)
        t = audio
        t.trackName = "video"
        #expect(errorCode([video, t]) == .duplicateStreamName)
        t = video
        t.bitrate = 0
        #expect(errorCode([t]) == .invalidTrack)
        #expect(throws: ManifestError.self) { try ManifestBuilder(presentation: "a/b").build([video]) }
    }

    /// A gap gets an explicit `t` on the fragment after it; with `allowGaps: false` it throws.
    @Test func gapGetsExplicitTime() throws {
        var t = video
        t.fragments = [FragmentTiming(time: 0, duration: 20_000_000), FragmentTiming(time: 40_000_000, duration: 20_000_000),
                       FragmentTiming(time: 60_000_000, duration: 20_000_000)]
        let m = try ManifestBuilder(presentation: "p").build([t])
        let cLines = m.client.xml().split(separator: "\n").filter { $0.contains("<c ") }.map { $0.trimmingPrefix(while: { $0 == " " }) }
        #expect(cLines == [#"<c t="0" d="20000000" />"#, #"<c t="40000000" d="20000000" />"#, #"<c d="20000000" />"#])
        #expect(m.client.duration == 80_000_000)
        #expect(try ClientManifest(xml: m.client.xmlBytes()) == m.client)
        #expect(errorCode([t], .init(allowGaps: false)) == .invalidFragmentTiming)
        // A stream not starting at 0 gets its real first t (pitfall 5).
        t.fragments = [FragmentTiming(time: 800_000, duration: 20_000_000)]
        let late = try ManifestBuilder(presentation: "p").build([t])
        #expect(late.client.xml().contains(#"<c t="800000" d="20000000" />"#))
    }

    /// Version 2.2: MinorVersion 2 and runs of equal `d` collapsed into `r` (total count).
    @Test func version22UsesRepeatCoding() throws {
        let m = try Example46.build(.init(version: .v2_2))
        let xml = m.client.xml()
        #expect(xml.contains(#"MajorVersion="2" MinorVersion="2""#))
        let cLines = xml.split(separator: "\n").filter { $0.contains("<c ") }.map { String($0.trimmingPrefix(while: { $0 == " " })) }
        #expect(cLines == [
            #"<c t="0" d="20000000" r="5" />"#,
            #"<c t="0" d="20053333" />"#, #"<c d="20053334" />"#, #"<c d="20053333" r="2" />"#, #"<c d="19840000" />"#,
        ])
        #expect(xml.contains(#"Chunks="5""#))
        let read = try ClientManifest(xml: Array(xml.utf8))
        #expect(read == m.client)
        #expect(read.streams[1].chunks == Example46.audioFragments)
        // 2.0 never writes r.
        #expect(!(try Example46.build()).client.xml().contains(" r=\""))
    }

    @Test func repeatRunsBreakAtGaps() throws {
        var t = video
        t.fragments = [FragmentTiming(time: 0, duration: 10), FragmentTiming(time: 10, duration: 10),
                       FragmentTiming(time: 30, duration: 10), FragmentTiming(time: 40, duration: 10)]
        let m = try ManifestBuilder(presentation: "p", options: .init(version: .v2_2)).build([t])
        #expect(m.client.xml().contains("<c t=\"0\" d=\"10\" r=\"2\" />\n    <c t=\"30\" d=\"10\" r=\"2\" />"))
        #expect(try ClientManifest(xml: m.client.xmlBytes()) == m.client)
    }

    @Test func audioLanguagesAndNames() throws {
        let eng = audio
        var fra = audio
        fra.language = "fra"
        fra.source = "p_fra.isma"
        var eng64 = audio
        eng64.bitrate = 64_000
        eng64.source = "p_eng64.isma"
        let m = try ManifestBuilder(presentation: "p").build([video, eng, fra, eng64])
        let streams = m.client.streams.map { ($0.name, $0.language, $0.qualityLevels.map(\.bitrate)) }
        #expect(streams.map(\.0) == ["video", "audio_eng", "audio_fra"])
        #expect(streams.map(\.1) == [nil, "eng", "fra"])
        #expect(streams.map(\.2) == [[3_000_000], [128_000, 64_000], [128_000]])
        #expect(m.client.streams[1].url == "QualityLevels({bitrate})/Fragments(audio_eng={start time})")
        #expect(m.server.tracks.map(\.trackName) == [nil, "audio_eng", "audio_fra", "audio_eng"])
        #expect(m.server.track(bitrate: 128_000, name: "audio_fra")?.src == "p_fra.isma")
        // Explicit names group tracks; conflicting languages inside one name throw.
        var named = fra
        named.trackName = "audio"
        named.bitrate = 96_000
        #expect(errorCode([eng, named]) == .inconsistentStream)
        // A single unnamed language keeps the plain name `audio`.
        #expect(try ManifestBuilder(presentation: "p").build([eng, eng64]).client.streams.map(\.name) == ["audio"])
        // A named video track gets a trackName param.
        var v = video
        v.trackName = "camera2"
        #expect(try ManifestBuilder(presentation: "p").build([v]).server.tracks[0].trackName == "camera2")
    }

    @Test func tupleFragmentsInitializer() {
        let t = ManifestTrack(kind: .video, bitrate: 1, source: "a.ismv", trackID: 1, codec: video.codec,
                              fragments: [(time: 0, duration: 5), (5, 6)])
        #expect(t.fragments == [FragmentTiming(time: 0, duration: 5), FragmentTiming(time: 5, duration: 6)])
        #expect(ManifestTrack(kind: .video, bitrate: 1, source: "a.ismv", trackID: 1, codec: video.codec, fragments: []).fragments.isEmpty)
    }

    @Test func displaySizeUsesSampleAspectRatio() throws {
        var t = video
        t.codec = .video(VideoCodecConfig(sps: [0x67, 0x64, 0, 0x1F, 0xAC], pps: [0x68, 0xEF], width: 720, height: 576,
                                          sampleAspectRatio: Rational(16, 15), frameDuration: Rational(1, 25)))
        let s = try ManifestBuilder(presentation: "p").build([t]).client.streams[0]
        #expect(s.maxWidth == 720 && s.maxHeight == 576 && s.displayWidth == 768 && s.displayHeight == 576)
    }
}
