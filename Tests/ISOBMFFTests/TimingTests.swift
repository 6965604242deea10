import ISOBMFF
import MediaCore
import Testing

/// Fragment timing over long programmes (docs/format.md §7.4): for every fragment the trun durations add
/// up to the tfxd duration, `t` telescopes (each `t` is the previous `t + d`), and every `t` equals the
/// exactly rounded time of its first frame, so nothing drifts after 10 hours.
@Suite struct TimingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var isVideo: Bool
        /// Seconds per frame (video) or per AAC frame (audio).
        var unit: Rational
        var framesPerFragment: Int
        var sampleRate = 0
        var testDescription: String { name }

        /// Frames in 10 hours.
        var frames: Int { Int(Rational(36_000, 1).numerator * unit.denominator / unit.numerator) }
    }

    static let cases: [Case] = [
        Case(name: "29.97 fps, 60-frame GOPs", isVideo: true, unit: Rational(1001, 30000), framesPerFragment: 60),
        Case(name: "23.976 fps, 48-frame GOPs", isVideo: true, unit: Rational(1001, 24000), framesPerFragment: 48),
        Case(
            name: "AAC 48 kHz, 94 frames", isVideo: false, unit: Rational(1024, 48000), framesPerFragment: 94,
            sampleRate: 48000),
        Case(
            name: "AAC 44.1 kHz, 86 frames", isVideo: false, unit: Rational(1024, 44100), framesPerFragment: 86,
            sampleRate: 44100),
    ]

    @Test(arguments: cases)
    func tenHoursWithoutDrift(_ c: Case) throws {
        let n = c.frames
        let sink = MemorySink()
        let codec: CodecConfig =
            c.isVideo
            ? .video(Synthetic.videoConfig(frameDuration: c.unit))
            : .audio(Synthetic.audioConfig(sampleRate: c.sampleRate))
        let f = try Fragmenter(
            sink: sink, trackID: c.isVideo ? 1 : 2, codec: codec,
            policy: c.isVideo ? .video() : .audio(framesPerFragment: c.framesPerFragment))
        try f.append(
            contentsOf: c.isVideo
                ? Synthetic.video(
                    frames: n, gop: c.framesPerFragment, frameDuration: c.unit,
                    bFrames: true, payload: 2)
                : Synthetic.audio(frames: n, sampleRate: c.sampleRate, payload: 1))
        let index = try f.finish()

        let expectedCount = (n + c.framesPerFragment - 1) / c.framesPerFragment
        #expect(index.fragments.count == expectedCount)
        #expect(index.duration == Clock.time(ofUnit: Int64(n), unitDuration: c.unit))
        for (k, frag) in index.fragments.enumerated() {
            let first = Int64(k * c.framesPerFragment)
            let end = Int64(min((k + 1) * c.framesPerFragment, n))
            let t = Clock.time(ofUnit: first, unitDuration: c.unit)
            guard frag.time == t, frag.duration == Clock.time(ofUnit: end, unitDuration: c.unit) - t else {
                Issue.record("fragment \(k): t=\(frag.time) d=\(frag.duration), expected t=\(t)")
                return
            }
        }

        // Read the file back: trun sums, tfxd, tfra.
        var reader = ByteReader(sink.bytes)
        var running: UInt64 = 0
        var fragment = 0
        var problems = 0
        while let (h, body) = try reader.nextBox() {
            switch h.type {
            case "moof":
                let traf = try MoofBox.decode(header: h, body: body).trafs[0]
                let sum = traf.truns[0].totalDuration
                let tfxd = try #require(traf.tfxd)
                if tfxd.duration != sum || tfxd.time != running || Int64(sum) != index.fragments[fragment].duration {
                    problems += 1
                }
                running += sum
                fragment += 1
            case "mfra":
                let mfra = try MfraBox.decode(header: h, body: body)
                #expect(mfra.tfras[0].entries.map { Int64($0.time) } == index.fragments.map(\.time))
                #expect(mfra.tfras[0].entries.map { Int64($0.moofOffset) } == index.fragments.map(\.moofOffset))
            default: break
            }
        }
        #expect(problems == 0)
        #expect(fragment == expectedCount)
        #expect(Int64(running) == index.duration)
        if c.isVideo {  // every full 2.002 s fragment is exactly 20 020 000 units
            #expect(index.fragments.dropLast().allSatisfy { $0.duration == 20_020_000 })
        } else if c.sampleRate == 48000 {
            #expect(Set(index.fragments.dropLast().map(\.duration)) == [20_053_333, 20_053_334])
        }
    }
}
