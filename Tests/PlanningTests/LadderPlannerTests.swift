import Foundation
import MediaCore
import Testing
@testable import Planning

struct GeometryCase: CustomTestStringConvertible, Sendable {
    var label: String
    var stream: VideoStreamInfo
    var profile: String = "default"
    var sizes: [String]
    var names: [String]? = nil
    var rotation: Int = 0
    var testDescription: String { label }
}

let full16x9 = ["1920x1080", "1920x1080", "1280x720", "960x540", "768x432", "640x360", "480x270"]

@Suite("Ladder planner: sizes")
struct LadderGeometryTests {
    static let cases: [GeometryCase] = [
        // Sizes and aspects.
        .init(label: "4K 16:9 keeps every rung", stream: video(3840, 2160), sizes: full16x9,
              names: ["1080p", "1080p_4500k", "720p", "540p", "432p", "360p", "270p"]),
        .init(label: "1080p 16:9", stream: video(1920, 1080), sizes: full16x9),
        .init(label: "720p drops the 1080p rungs", stream: video(1280, 720),
              sizes: ["1280x720", "960x540", "768x432", "640x360", "480x270"], names: ["720p", "540p", "432p", "360p", "270p"]),
        .init(label: "854x480", stream: video(854, 480), sizes: ["768x432", "640x360", "480x270"]),
        .init(label: "640x480 4:3", stream: video(640, 480), sizes: ["576x432", "480x360", "360x270"]),
        .init(label: "1440x1080 square 4:3", stream: video(1440, 1080),
              sizes: ["1440x1080", "1440x1080", "960x720", "720x540", "576x432", "480x360", "360x270"]),
        .init(label: "2.39:1 1920x804", stream: video(1920, 804),
              sizes: ["1720x720", "1290x540", "1032x432", "860x360", "644x270"]),
        .init(label: "2.39:1 4K scope 4096x1716", stream: video(4096, 1716),
              sizes: ["2578x1080", "2578x1080", "1718x720", "1288x540", "1032x432", "860x360", "644x270"]),
        .init(label: "1:1 1080x1080", stream: video(1080, 1080),
              sizes: ["1080x1080", "1080x1080", "720x720", "540x540", "432x432", "360x360", "270x270"]),
        .init(label: "9:16 portrait 1080x1920 reads heights as short sides", stream: video(1080, 1920),
              sizes: ["1080x1920", "1080x1920", "720x1280", "540x960", "432x768", "360x640", "270x480"],
              names: ["1080p", "1080p_4500k", "720p", "540p", "432p", "360p", "270p"]),
        .init(label: "9:16 portrait 720x1280", stream: video(720, 1280),
              sizes: ["720x1280", "540x960", "432x768", "360x640", "270x480"]),
        // Slightly short sources are clamped, not dropped.
        .init(label: "1920x1072 keeps 1080p rungs at 1072", stream: video(1920, 1072),
              sizes: ["1920x1072", "1920x1072", "1290x720", "968x540", "774x432", "644x360", "484x270"]),
        .init(label: "1920x1050 is 3% short: 1080p dropped", stream: video(1920, 1050),
              sizes: ["1316x720", "988x540", "790x432", "658x360", "494x270"]),
        // Small sources.
        .init(label: "320x240 is smaller than every rung", stream: video(320, 240), sizes: ["320x240"], names: ["240p"]),
        .init(label: "100x100", stream: video(100, 100), sizes: ["100x100"], names: ["100p"]),
        .init(label: "odd 101x75 floors to even", stream: video(101, 75), sizes: ["100x74"], names: ["74p"]),
        .init(label: "portrait 240x426", stream: video(240, 426), sizes: ["240x426"], names: ["240p"]),
        // Sample aspect ratios.
        .init(label: "PAL 720x576 SAR 16:15 is 4:3", stream: video(720, 576, sar: Rational(16, 15)),
              sizes: ["720x540", "576x432", "480x360", "360x270"]),
        .init(label: "PAL 720x576 SAR 64:45 is 16:9", stream: video(720, 576, sar: Rational(64, 45)),
              sizes: ["960x540", "768x432", "640x360", "480x270"]),
        .init(label: "NTSC 720x480 SAR 8:9 is 4:3", stream: video(720, 480, sar: Rational(8, 9)),
              sizes: ["576x432", "480x360", "360x270"]),
        .init(label: "NTSC 720x480 SAR 32:27 is 16:9", stream: video(720, 480, sar: Rational(32, 27)),
              sizes: ["768x432", "640x360", "480x270"]),
        .init(label: "HDV 1440x1080 SAR 4:3 is 16:9", stream: video(1440, 1080, sar: Rational(4, 3)), sizes: full16x9),
        .init(label: "unknown SAR 0/1 is square", stream: video(1280, 720, sar: Rational(0, 1)),
              sizes: ["1280x720", "960x540", "768x432", "640x360", "480x270"]),
        // Rotation.
        .init(label: "rotation 0", stream: video(1920, 1080, rotation: 0), sizes: full16x9, rotation: 0),
        .init(label: "phone 1920x1080 rotated 90 is portrait", stream: video(1920, 1080, rotation: 90),
              sizes: ["1080x1920", "1080x1920", "720x1280", "540x960", "432x768", "360x640", "270x480"], rotation: 90),
        .init(label: "rotation 180 keeps landscape", stream: video(1920, 1080, rotation: 180), sizes: full16x9, rotation: 180),
        .init(label: "rotation 270 is portrait", stream: video(1280, 720, rotation: 270),
              sizes: ["720x1280", "540x960", "432x768", "360x640", "270x480"], rotation: 270),
        .init(label: "rotation -90 is 270", stream: video(1280, 720, rotation: -90),
              sizes: ["720x1280", "540x960", "432x768", "360x640", "270x480"], rotation: 270),
        .init(label: "rotated anamorphic 720x576 SAR 16:15 at 90", stream: video(720, 576, sar: Rational(16, 15), rotation: 90),
              sizes: ["540x720", "432x576", "360x480", "270x360"], rotation: 90),
        // Box rungs (explicit width): fitted to the source's aspect.
        .init(label: "bench on 16:9", stream: video(1920, 1080), profile: "bench-4rung",
              sizes: ["1280x720", "960x540", "640x360", "480x270"], names: ["720p", "540p", "360p", "270p"]),
        .init(label: "bench on 4:3 pillarboxes into the box", stream: video(1440, 1080), profile: "bench-4rung",
              sizes: ["960x720", "720x540", "480x360", "360x270"]),
        .init(label: "bench on 2.39:1 letterboxes into the box", stream: video(1920, 804), profile: "bench-4rung",
              sizes: ["1280x536", "960x402", "640x268", "480x202"]),
        .init(label: "bench on portrait turns the box", stream: video(1080, 1920), profile: "bench-4rung",
              sizes: ["720x1280", "540x960", "360x640", "270x480"]),
        .init(label: "bench on 640x360 keeps the boxes that fit", stream: video(640, 360), profile: "bench-4rung",
              sizes: ["640x360", "480x270"]),
        // The fast profile.
        .init(label: "fast on 1080p", stream: video(1920, 1080), profile: "fast", sizes: ["640x360", "480x270", "320x180"]),
        .init(label: "fast on 320x240", stream: video(320, 240), profile: "fast", sizes: ["240x180"]),
    ]

    @Test("rung sizes", arguments: cases)
    func rungSizes(_ c: GeometryCase) throws {
        let plan = try LadderPlanner.plan(source: source([c.stream]), profile: builtin(c.profile))
        let v = try #require(plan.video)
        #expect(sizes(plan) == c.sizes)
        if let names = c.names { #expect(v.rungs.map(\.name) == names) }
        #expect(v.rotation == c.rotation)
        for rung in v.rungs {
            #expect(rung.width % 2 == 0 && rung.height % 2 == 0 && rung.width >= 2 && rung.height >= 2)
        }
        #expect(Set(v.rungs.map(\.encoding.bitrate)).count == v.rungs.count)
        #expect(Set(v.rungs.map(\.name)).count == v.rungs.count)
        #expect(v.rungs.map(\.encoding.bitrate) == v.rungs.map(\.encoding.bitrate).sorted(by: >))
    }

    @Test("kept rungs keep the profile's settings")
    func rungSettings() throws {
        let plan = try LadderPlanner.plan(source: source([video(1280, 720)]), profile: builtin("default"))
        let top = try #require(plan.video?.rungs.first)
        #expect(top == VideoRung(name: "720p", width: 1280, height: 720, encoding: VideoEncoding(
            bitrate: 3_000_000, maxrate: 4_500_000, bufsize: 6_000_000, profile: .high, level: nil, preset: "medium",
            bframes: 3, refs: nil, x264Params: [:])))
        #expect(plan.video?.rungs.last?.encoding.profile == .main)
        #expect(plan.notes.contains { $0.contains("dropped 1080p") })
    }

    @Test("never upscales: every rung fits in the source's displayed size", arguments: [
        video(3840, 2160), video(1920, 1080), video(1280, 720), video(854, 480), video(320, 240), video(100, 100),
        video(1080, 1920), video(720, 576, sar: Rational(16, 15)), video(720, 480, sar: Rational(8, 9)),
        video(1920, 1080, rotation: 90), video(1920, 804), video(1081, 607), video(1919, 1079),
    ])
    func neverUpscales(_ stream: VideoStreamInfo) throws {
        for name in BuiltinProfiles.names {
            let plan = try LadderPlanner.plan(source: source([stream]), profile: builtin(name))
            let displayed = stream.displayedSize
            for rung in try #require(plan.video).rungs {
                #expect(rung.width <= displayed.width && rung.height <= displayed.height,
                        "\(name): \(rung.width)x\(rung.height) from \(displayed)")
            }
        }
    }

    @Test("the small-source rung scales the lowest rung's bitrate by pixels, at least a quarter", arguments: [
        // (width, height, bitrate, maxrate, bufsize)
        (320, 240, 316_000, 474_000, 632_000),   // 76800 / (360x270) = 0.79
        (100, 100, 100_000, 150_000, 200_000),   // 10000 / (270x270) = 0.14 → a quarter of 400k
        (426, 240, 316_000, 474_000, 632_000),   // 102240 / (480x270) = 0.79
    ])
    func smallSourceBitrate(width: Int, height: Int, bitrate: Int, maxrate: Int, bufsize: Int) throws {
        let plan = try LadderPlanner.plan(source: source([video(width, height)]), profile: builtin("default"))
        let rung = try #require(plan.video?.rungs.first)
        #expect(plan.video?.rungs.count == 1)
        let e = rung.encoding
        #expect(e.bitrate == bitrate && e.maxrate == maxrate && e.bufsize == bufsize)
        #expect(e.profile == .main && e.preset == "medium")
    }
}

struct RateCase: CustomTestStringConvertible, Sendable {
    var fps: Rational
    var vfr: Bool = false
    var rate: Rational
    var gop: Int
    var fragment: Rational
    var testDescription: String { "\(fps)\(vfr ? " VFR" : "") → \(rate), GOP \(gop)" }
}

@Suite("Ladder planner: frame rate and GOP")
struct LadderTimingTests {
    static let two = Rational(2, 1), twoPoint002 = Rational(1001, 500)
    static let cases: [RateCase] = [
        .init(fps: Rational(24000, 1001), rate: Rational(24000, 1001), gop: 48, fragment: twoPoint002),
        .init(fps: Rational(24, 1), rate: Rational(24, 1), gop: 48, fragment: two),
        .init(fps: Rational(25, 1), rate: Rational(25, 1), gop: 50, fragment: two),
        .init(fps: Rational(30000, 1001), rate: Rational(30000, 1001), gop: 60, fragment: twoPoint002),
        .init(fps: Rational(30, 1), rate: Rational(30, 1), gop: 60, fragment: two),
        .init(fps: Rational(50, 1), rate: Rational(50, 1), gop: 100, fragment: two),
        .init(fps: Rational(60000, 1001), rate: Rational(60000, 1001), gop: 120, fragment: twoPoint002),
        .init(fps: Rational(60, 1), rate: Rational(60, 1), gop: 120, fragment: two),
        // Above 60: halved (until ≤ 60).
        .init(fps: Rational(120, 1), rate: Rational(60, 1), gop: 120, fragment: two),
        .init(fps: Rational(120000, 1001), rate: Rational(60000, 1001), gop: 120, fragment: twoPoint002),
        .init(fps: Rational(100, 1), rate: Rational(50, 1), gop: 100, fragment: two),
        .init(fps: Rational(240, 1), rate: Rational(60, 1), gop: 120, fragment: two),
        // Non-standard CFR rates are kept; rates within 0.02 % of a standard one snap to it.
        .init(fps: Rational(15, 1), rate: Rational(15, 1), gop: 30, fragment: two),
        .init(fps: Rational(25, 2), rate: Rational(25, 2), gop: 25, fragment: two),
        .init(fps: Rational(2997, 100), rate: Rational(30000, 1001), gop: 60, fragment: twoPoint002),
        .init(fps: Rational(5994, 100), rate: Rational(60000, 1001), gop: 120, fragment: twoPoint002),
        // VFR: nearest standard rate to the average.
        .init(fps: Rational(2950, 100), vfr: true, rate: Rational(30000, 1001), gop: 60, fragment: twoPoint002),
        .init(fps: Rational(27, 1), vfr: true, rate: Rational(25, 1), gop: 50, fragment: two),
        .init(fps: Rational(2401, 100), vfr: true, rate: Rational(24, 1), gop: 48, fragment: two),
        .init(fps: Rational(58, 1), vfr: true, rate: Rational(60000, 1001), gop: 120, fragment: twoPoint002),
        .init(fps: Rational(118, 1), vfr: true, rate: Rational(60, 1), gop: 120, fragment: two),
        .init(fps: Rational(12, 1), vfr: true, rate: Rational(24000, 1001), gop: 48, fragment: twoPoint002),
        // Unknown: 25.
        .init(fps: Rational(0, 1), rate: Rational(25, 1), gop: 50, fragment: two),
        .init(fps: Rational(-1, 1), rate: Rational(25, 1), gop: 50, fragment: two),
        .init(fps: Rational(90000, 1), rate: Rational(25, 1), gop: 50, fragment: two),
        .init(fps: Rational(0, 1), vfr: true, rate: Rational(25, 1), gop: 50, fragment: two),
    ]

    @Test("constant output rate and whole-frame fragments", arguments: cases)
    func timing(_ c: RateCase) throws {
        let plan = try LadderPlanner.plan(source: source([video(1280, 720, fps: c.fps, vfr: c.vfr)]), profile: builtin("default"))
        let v = try #require(plan.video)
        #expect(v.frameRate == c.rate)
        #expect(v.frameDuration == c.rate.inverted)
        #expect(v.framesPerFragment == c.gop)
        #expect(v.fragmentDuration == c.fragment)
        #expect(v.fragmentDuration == Rational(Int64(v.framesPerFragment), 1) * v.frameDuration)
    }

    @Test("other fragment durations", arguments: [
        ("fragment_duration: 4", Rational(30000, 1001), 120, Rational(1001, 250)),
        ("fragment_duration: 1.5", Rational(25, 1), 38, Rational(38, 25)),       // 37.5 frames → 38
        ("fragment_duration: 3", Rational(24000, 1001), 72, Rational(3003, 1000)),
        ("fragment_duration: 1001/500", Rational(30000, 1001), 60, Rational(1001, 500)),
    ])
    func fragmentDurations(line: String, fps: Rational, gop: Int, fragment: Rational) throws {
        let text = BuiltinProfiles.defaultYAML.replacingOccurrences(of: "fragment_duration: 2", with: line)
        let profile = try Profile.parse(yaml: text, file: "f.yaml", name: "f")
        let plan = try LadderPlanner.plan(source: source([video(1280, 720, fps: fps)]), profile: profile)
        #expect(plan.video?.framesPerFragment == gop)
        #expect(plan.video?.fragmentDuration == fragment)
    }

    @Test("interlaced sources are deinterlaced; output is always yuv420p", arguments: [
        (FieldOrder.progressive, false), (.topFieldFirst, true), (.bottomFieldFirst, true), (.unknown, false),
    ])
    func deinterlace(order: FieldOrder, expected: Bool) throws {
        var stream = video(720, 576, sar: Rational(16, 15), fieldOrder: order)
        stream.pixelFormat = "yuv422p10le"
        stream.bitDepth = 10
        let plan = try LadderPlanner.plan(source: source([stream]), profile: builtin("default"))
        #expect(plan.video?.deinterlace == expected)
        #expect(plan.video?.pixelFormat == "yuv420p")
        #expect(plan.video?.frameRate == Rational(25, 1))
    }
}

struct AudioCase: CustomTestStringConvertible, Sendable {
    var label: String
    var streams: [AudioStreamInfo]
    var profileEdit: (String, String)? = nil
    /// (source index, track name, language, channels, bitrate)
    var tracks: [(Int, String, String?, Int, Int)]
    var testDescription: String { label }
}

@Suite("Ladder planner: audio")
struct LadderAudioTests {
    static let surround = ("  languages: first", "  languages: first\n  surround: {channels: 6, bitrate: 384k}")
    static let allLanguages = ("  languages: first", "  languages: all")
    static let allWithSurround = ("  languages: first", "  languages: all\n  surround: {bitrate: 320k}")

    static let cases: [AudioCase] = [
        .init(label: "no audio", streams: [], tracks: []),
        .init(label: "mono stays mono", streams: [audio(1, channels: 1)], tracks: [(1, "audio", nil, 1, 128_000)]),
        .init(label: "stereo", streams: [audio(1)], tracks: [(1, "audio", nil, 2, 128_000)]),
        .init(label: "stereo 44.1 kHz source resampled", streams: [audio(1, rate: 44100)], tracks: [(1, "audio", nil, 2, 128_000)]),
        .init(label: "5.1 downmixed to stereo", streams: [audio(1, channels: 6)], tracks: [(1, "audio", nil, 2, 128_000)]),
        .init(label: "5.1 with a surround profile", streams: [audio(1, channels: 6, language: "eng")], profileEdit: surround,
              tracks: [(1, "audio", "eng", 2, 128_000), (1, "audio_51", "eng", 6, 384_000)]),
        .init(label: "7.1 with a surround profile", streams: [audio(1, channels: 8)], profileEdit: surround,
              tracks: [(1, "audio", nil, 2, 128_000), (1, "audio_51", nil, 6, 384_000)]),
        .init(label: "stereo with a surround profile gets no surround", streams: [audio(1)], profileEdit: surround,
              tracks: [(1, "audio", nil, 2, 128_000)]),
        .init(label: "stereo + 5.1 of one language: surround from the 5.1 stream",
              streams: [audio(1, language: "eng"), audio(2, channels: 6, language: "eng")], profileEdit: surround,
              tracks: [(1, "audio", "eng", 2, 128_000), (2, "audio_51", "eng", 6, 384_000)]),
        .init(label: "several languages, first only",
              streams: [audio(1, language: "eng"), audio(2, language: "fra")], tracks: [(1, "audio", "eng", 2, 128_000)]),
        .init(label: "several languages, all", streams: [audio(1, language: "eng"), audio(2, language: "fra"), audio(3, language: "deu")],
              profileEdit: allLanguages,
              tracks: [(1, "audio_eng", "eng", 2, 128_000), (2, "audio_fra", "fra", 2, 128_000), (3, "audio_deu", "deu", 2, 128_000)]),
        .init(label: "all: repeated language keeps its first stream; untagged gets its position",
              streams: [audio(1, language: "eng"), audio(2, language: "eng"), audio(3), audio(4, language: "und"), audio(5, language: "FRA")],
              profileEdit: allLanguages,
              tracks: [(1, "audio_eng", "eng", 2, 128_000), (3, "audio_3", nil, 2, 128_000), (5, "audio_fra", "fra", 2, 128_000)]),
        .init(label: "all: one language only is plain audio", streams: [audio(1, language: "eng"), audio(2, language: "eng")],
              profileEdit: allLanguages, tracks: [(1, "audio", "eng", 2, 128_000)]),
        .init(label: "all with surround", streams: [audio(1, channels: 6, language: "eng"), audio(2, language: "spa")],
              profileEdit: allWithSurround,
              tracks: [(1, "audio_eng", "eng", 2, 128_000), (1, "audio_eng_51", "eng", 6, 320_000), (2, "audio_spa", "spa", 2, 128_000)]),
        .init(label: "a stream without channels is skipped", streams: [audio(1, channels: 0), audio(2)],
              tracks: [(2, "audio", nil, 2, 128_000)]),
        .init(label: "a 6-channel main track keeps mono as mono", streams: [audio(1, channels: 1)],
              profileEdit: ("  channels: 2", "  channels: 6"), tracks: [(1, "audio", nil, 1, 128_000)]),
    ]

    @Test("tracks", arguments: cases)
    func tracks(_ c: AudioCase) throws {
        var profile = builtin("default")
        if let (old, new) = c.profileEdit {
            profile = try Profile.parse(yaml: BuiltinProfiles.defaultYAML.replacingOccurrences(of: old, with: new),
                                        file: "edited.yaml", name: "edited")
        }
        let plan = try LadderPlanner.plan(source: source([video(1280, 720)], c.streams), profile: profile)
        #expect(plan.audio.count == c.tracks.count)
        for (track, (index, name, language, channels, bitrate)) in zip(plan.audio, c.tracks) {
            #expect(track.sourceStreamIndex == index)
            #expect(track.trackName == name)
            #expect(track.language == language)
            #expect(track.channels == channels)
            #expect(track.bitrate == bitrate)
            #expect(track.sampleRate == 48000)
            #expect(track.framesPerFragment == 94)
        }
        #expect(Set(plan.audio.map(\.trackName)).count == plan.audio.count)
    }

    @Test("AAC frames per fragment", arguments: [
        (Rational(2, 1), 48000, 94), (Rational(2, 1), 44100, 86), (Rational(4, 1), 48000, 188),
        (Rational(1001, 500), 48000, 94), (Rational(2, 1), 32000, 63), (Rational(1, 100), 8000, 1),
    ])
    func aacFrames(fragment: Rational, rate: Int, frames: Int) {
        #expect(LadderPlanner.audioFramesPerFragment(fragmentDuration: fragment, sampleRate: rate) == frames)
    }

    @Test("44.1 kHz profile gives 86-frame fragments")
    func profileRate44k() throws {
        let text = BuiltinProfiles.defaultYAML.replacingOccurrences(of: "sample_rate: 48000", with: "sample_rate: 44100")
        let profile = try Profile.parse(yaml: text, file: "a.yaml", name: "a")
        let plan = try LadderPlanner.plan(source: source([], [audio(1)]), profile: profile)
        #expect(plan.audio.first?.sampleRate == 44100 && plan.audio.first?.framesPerFragment == 86)
    }
}

@Suite("Ladder planner: streams present")
struct LadderStreamTests {
    @Test("no video: audio-only plan")
    func audioOnly() throws {
        let plan = try LadderPlanner.plan(source: source([], [audio(0)]), profile: builtin("default"))
        #expect(plan.video == nil && plan.audio.count == 1)
    }

    @Test("only a cover picture or a zero-size stream counts as no video", arguments: [
        VideoStreamInfo(index: 0, codec: "mjpeg", width: 600, height: 600, frameRate: Rational(0, 1), isAttachedPicture: true),
        video(0, 0),
    ])
    func unusableVideo(stream: VideoStreamInfo) throws {
        let plan = try LadderPlanner.plan(source: source([stream], [audio(1)]), profile: builtin("default"))
        #expect(plan.video == nil && plan.audio.count == 1)
    }

    @Test("the first non-cover video stream is used")
    func skipsCover() throws {
        let cover = VideoStreamInfo(index: 0, codec: "png", width: 500, height: 500, frameRate: Rational(0, 1), isAttachedPicture: true)
        let plan = try LadderPlanner.plan(source: source([cover, video(1280, 720, index: 2)]), profile: builtin("default"))
        #expect(plan.video?.sourceStreamIndex == 2)
    }

    @Test("no audio: video-only plan")
    func videoOnly() throws {
        let plan = try LadderPlanner.plan(source: source([video(1280, 720)], []), profile: builtin("default"))
        #expect(plan.video != nil && plan.audio.isEmpty)
    }

    @Test("neither: PlanError naming the source")
    func neither() {
        #expect(throws: PlanError.self) { try LadderPlanner.plan(source: source([], []), profile: builtin("default")) }
        do {
            _ = try LadderPlanner.plan(source: source([], []), profile: builtin("default"))
        } catch let e as PlanError {
            #expect(e.description.hasPrefix("/in/clip.mp4: nothing to encode"))
            #expect(!e.description.contains("\n"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("an audio-only profile ignores video; with no audio it throws")
    func audioOnlyProfile() throws {
        let profile = try Profile.parse(yaml: "audio: {bitrate: 96k}\n", file: "a.yaml", name: "a")
        let plan = try LadderPlanner.plan(source: source([video(1280, 720)], [audio(1)]), profile: profile)
        #expect(plan.video == nil && plan.audio.first?.bitrate == 96_000)
        #expect(throws: PlanError.self) {
            try LadderPlanner.plan(source: source([video(1280, 720)], []), profile: profile)
        }
    }

    @Test("plans round-trip through JSON")
    func codable() throws {
        let plan = try LadderPlanner.plan(source: source([video(1920, 1080, fps: Rational(30000, 1001))],
                                                         [audio(1, language: "eng"), audio(2, language: "fra")]),
                                          profile: builtin("bench-4rung"))
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(LadderPlan.self, from: data) == plan)
    }

    @Test("planning is deterministic")
    func deterministic() throws {
        let s = source([video(1920, 1080, rotation: 90)], [audio(1, channels: 6, language: "eng")])
        #expect(try LadderPlanner.plan(source: s, profile: builtin("default")) == LadderPlanner.plan(source: s, profile: builtin("default")))
    }
}
