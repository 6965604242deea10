public import MediaCore

/// Ladder policy: turns what Probe found and a profile into a ``LadderPlan``. Pure (no I/O), so every
/// rule has a row in `PlanningTests`.
///
/// Rules, in brief (profiles/README.md has the long form):
/// - **No upscaling.** A rung's target short side (its `height`, or the short side of its width×height box
///   once fitted to the source's aspect) is compared with the source's displayed short side. Taller rungs
///   are dropped, except that a rung at most 2 % taller (a 1920x1072 source against 1080p rungs) is kept,
///   clamped to the source's size. If every rung is dropped, one rung is made at the source's own
///   displayed size (floored to even) with the lowest rung's settings and its bitrate scaled by the pixel
///   ratio, but never below a quarter of it.
/// - **Aspect.** Sizes keep the displayed aspect (SAR and rotation applied), rounded to even; output
///   pixels are square. Portrait sources read a rung's height as their short side (720p → 720x1280).
/// - **Frame rate.** Constant output: a CFR rate within 0.02 % of a standard rate becomes that rate;
///   rates above 60 are halved until ≤ 60; a VFR source gets the standard rate nearest its average;
///   an unknown, zero or implausible (> 1000) rate gives 25.
/// - **GOP.** `framesPerFragment` = the whole number of frames nearest the profile's fragment
///   duration; the plan's fragment duration is exactly that many frames.
/// - **Audio.** One stereo (or mono, never upmixed) track per selected source stream, plus a 5.1 track
///   when the profile asks for one and the language's streams include one with ≥ 6 channels.
public enum LadderPlanner {
    /// Standard output rates a VFR source (or a CFR rate within 0.02 %) is mapped to.
    public static let standardFrameRates: [Rational] = [
        Rational(24000, 1001), Rational(24, 1), Rational(25, 1), Rational(30000, 1001),
        Rational(30, 1), Rational(50, 1), Rational(60000, 1001), Rational(60, 1),
    ]

    /// A rung at most this much taller than the source is clamped to the source instead of dropped.
    public static let upscaleTolerance = Rational(51, 50)

    /// The small-source rung's bitrate is never scaled below this fraction of the lowest rung's.
    public static let smallSourceMinimumBitrateFactor = Rational(1, 4)

    /// Plans `source` with `profile`.
    ///
    /// - Throws: ``PlanError/nothingToEncode(source:reason:)`` when the profile's sections find no usable
    ///   stream (no video for a video profile and no audio for an audio profile).
    public static func plan(source: SourceInfo, profile: Profile) throws -> LadderPlan {
        var notes: [String] = []
        var video: VideoPlan?
        if let videoProfile = profile.video {
            if let stream = source.primaryVideo, stream.width > 0, stream.height > 0 {
                video = planVideo(stream, videoProfile, fragmentDuration: profile.fragmentDuration, notes: &notes)
            } else {
                notes.append("no usable video stream: audio-only presentation")
            }
        } else if source.primaryVideo != nil {
            notes.append("the profile has no video section: video ignored")
        }
        var audio: [AudioPlan] = []
        if let audioProfile = profile.audio {
            audio = planAudio(source.audioStreams, audioProfile, fragmentDuration: profile.fragmentDuration, notes: &notes)
        } else if !source.audioStreams.isEmpty {
            notes.append("the profile has no audio section: audio ignored")
        }
        guard video != nil || !audio.isEmpty else {
            let wants = [profile.video != nil ? "video" : nil, profile.audio != nil ? "audio" : nil].compactMap { $0 }
            throw PlanError.nothingToEncode(
                source: source.path,
                reason: "no usable \(wants.joined(separator: " or ")) stream for profile '\(profile.name)'")
        }
        return LadderPlan(video: video, audio: audio, notes: notes)
    }

    // MARK: Video

    /// The displayed geometry of a stream: size and aspect after SAR and rotation.
    struct Geometry {
        /// Displayed width / height.
        var aspect: Rational
        var width: Int
        var height: Int
        var isPortrait: Bool { aspect < Rational(1, 1) }
        /// Long side / short side, ≥ 1.
        var elongation: Rational { isPortrait ? aspect.inverted : aspect }
        var shortSide: Int { min(width, height) }
        var longSide: Int { max(width, height) }

        init(_ stream: VideoStreamInfo, rotation: Int) {
            let sar = stream.sampleAspectRatio.isPositive ? stream.sampleAspectRatio : Rational(1, 1)
            let storedAspect = Rational(Int64(stream.width), Int64(stream.height)) * sar
            let stretchedWidth = Int(roundHalfUp(Rational(Int64(stream.width), 1) * sar))
            let quarter = rotation == 90 || rotation == 270
            aspect = quarter ? storedAspect.inverted : storedAspect
            width = quarter ? stream.height : stretchedWidth
            height = quarter ? stretchedWidth : stream.height
        }

        /// Output size for a target short side `t` (exact), in displayed orientation, never larger than
        /// the source (floored to even).
        func size(shortSide t: Rational) -> (width: Int, height: Int) {
            let short = max(2, min(roundToEven(t), floorToEven(shortSide)))
            let long = max(2, min(roundToEven(t * elongation), floorToEven(longSide)))
            return isPortrait ? (short, long) : (long, short)
        }
    }

    /// The exact short side a rung aims at on this source: its height, or for a box rung the short side
    /// of the largest picture of the source's aspect that fits the box (box orientation follows the source).
    static func targetShortSide(_ rung: RungProfile, _ g: Geometry) -> Rational {
        let h = Rational(Int64(rung.height), 1)
        guard let w = rung.width else { return h }
        let boxShort = Rational(Int64(min(w, rung.height)), 1), boxLong = Rational(Int64(max(w, rung.height)), 1)
        let fitted = boxLong / g.elongation
        return fitted < boxShort ? fitted : boxShort
    }

    static func planVideo(_ stream: VideoStreamInfo, _ profile: VideoProfile, fragmentDuration: Rational,
                          notes: inout [String]) -> VideoPlan {
        let rotation = normalizedRotation(stream.rotation)
        let g = Geometry(stream, rotation: rotation)
        if rotation != 0 { notes.append("rotating \(rotation)° clockwise for display: \(g.width)x\(g.height)") }
        let sourceShort = Rational(Int64(g.shortSide), 1)
        var rungs: [VideoRung] = []
        for rung in profile.rungs {
            var t = targetShortSide(rung, g)
            if sourceShort < t {
                guard !(sourceShort * upscaleTolerance < t) else {
                    notes.append("dropped \(rung.name): taller than the source's \(g.width)x\(g.height)")
                    continue
                }
                notes.append("clamped \(rung.name) to the source's short side \(g.shortSide)")
                t = sourceShort
            }
            let size = g.size(shortSide: t)
            rungs.append(VideoRung(name: rung.name, width: size.width, height: size.height, encoding: rung.encoding))
        }
        if rungs.isEmpty, let lowest = profile.rungs.last {
            rungs.append(smallSourceRung(lowest, g, notes: &notes))
        }

        let (rate, rateNote) = outputFrameRate(for: stream)
        if let rateNote { notes.append(rateNote) }
        let gop = max(1, Int(roundHalfUp(fragmentDuration * rate)))
        return VideoPlan(sourceStreamIndex: stream.index, frameRate: rate, framesPerFragment: gop,
                         rotation: rotation, deinterlace: stream.fieldOrder.isInterlaced, pixelFormat: "yuv420p",
                         rungs: rungs)
    }

    /// The one rung of a source smaller than every rung: its own displayed size, the lowest rung's
    /// settings, and that rung's bitrate scaled by the pixel ratio (at least a quarter of it, at most all
    /// of it), rounded to a whole kb/s. maxrate and bufsize keep the lowest rung's ratios to its bitrate.
    static func smallSourceRung(_ lowest: RungProfile, _ g: Geometry, notes: inout [String]) -> VideoRung {
        let size = g.size(shortSide: Rational(Int64(g.shortSide), 1))
        // The lowest rung's size on a source of this aspect, unclamped.
        let t = targetShortSide(lowest, g)
        let rungPixels = Int64(roundToEven(t)) * Int64(roundToEven(t * g.elongation))
        var factor = Rational(Int64(size.width * size.height), max(rungPixels, 1))
        if factor < smallSourceMinimumBitrateFactor { factor = smallSourceMinimumBitrateFactor }
        if Rational(1, 1) < factor { factor = Rational(1, 1) }
        let rates = lowest.encoding
        let bitrate = max(1000, Int(roundHalfUp(Rational(Int64(rates.bitrate), 1000) * factor)) * 1000)
        let maxrate = Int(roundHalfUp(Rational(Int64(bitrate), 1) * Rational(Int64(rates.maxrate), Int64(rates.bitrate))))
        let bufsize = Int(roundHalfUp(Rational(Int64(bitrate), 1) * Rational(Int64(rates.bufsize), Int64(rates.bitrate))))
        let name = "\(min(size.width, size.height))p"
        notes.append("source \(g.width)x\(g.height) is smaller than every rung: one rung \(name)"
                     + " \(size.width)x\(size.height) at \(bitrate) bps (from \(lowest.name))")
        var encoding = lowest.encoding
        (encoding.bitrate, encoding.maxrate, encoding.bufsize) = (bitrate, maxrate, bufsize)
        return VideoRung(name: name, width: size.width, height: size.height, encoding: encoding)
    }

    /// 0, 90, 180 or 270 for any angle (nearest quarter turn, clockwise).
    static func normalizedRotation(_ degrees: Int) -> Int {
        let d = ((degrees % 360) + 360) % 360
        return ((d + 45) / 90 % 4) * 90
    }

    /// The constant output frame rate for a stream, and a note when it differs from the source's.
    public static func outputFrameRate(for stream: VideoStreamInfo) -> (rate: Rational, note: String?) {
        let r = stream.frameRate
        guard r.isPositive, !(Rational(1000, 1) < r) else {
            return (Rational(25, 1), "unknown frame rate \(r): using 25 fps")
        }
        if stream.isVariableFrameRate {
            let nearest = standardFrameRates.min { abs($0.doubleValue - r.doubleValue) < abs($1.doubleValue - r.doubleValue) }
            let rate = nearest ?? Rational(25, 1)
            return (rate, "variable frame rate, average \(format(r)) fps: constant \(format(rate)) fps")
        }
        var rate = r
        var halvings = 0
        while Rational(60, 1) < rate {
            rate = rate / Rational(2, 1)
            halvings += 1
        }
        // Snap rounding noise (2997/100 for 30000/1001) to the nearest standard rate; 30 and 29.97 differ
        // by 0.1 %, so the window is far narrower than that.
        let deviation = { (s: Rational) in abs(s.doubleValue / rate.doubleValue - 1) }
        if let standard = standardFrameRates.min(by: { deviation($0) < deviation($1) }), deviation(standard) < 0.0002 {
            rate = standard
        }
        if halvings > 0 {
            return (rate, "frame rate \(format(r)) fps above 60: halved to \(format(rate)) fps")
        }
        return (rate, nil)
    }

    private static func format(_ r: Rational) -> String {
        let value = (r.doubleValue * 1000).rounded() / 1000
        return value == value.rounded() ? String(Int(value)) : String(value)
    }

    // MARK: Audio

    /// Whole 1024-sample AAC frames nearest to `fragmentDuration` (94 at 48 kHz and 86 at 44.1 kHz for 2 s).
    public static func audioFramesPerFragment(fragmentDuration: Rational, sampleRate: Int) -> Int {
        max(1, Int(roundHalfUp(fragmentDuration * Rational(Int64(sampleRate), 1024))))
    }

    static func planAudio(_ streams: [AudioStreamInfo], _ profile: AudioProfile, fragmentDuration: Rational,
                          notes: inout [String]) -> [AudioPlan] {
        let usable = streams.filter { $0.channels > 0 }
        if usable.count < streams.count { notes.append("skipped \(streams.count - usable.count) audio stream(s) without channels") }
        guard !usable.isEmpty else { return [] }

        // Streams grouped by language tag, in order of first appearance; untagged streams form one group.
        var groups: [(language: String?, streams: [AudioStreamInfo])] = []
        for stream in usable {
            let language = normalizedLanguage(stream.language)
            if let i = groups.firstIndex(where: { $0.language == language }) {
                groups[i].streams.append(stream)
            } else {
                groups.append((language, [stream]))
            }
        }
        if profile.languages == .first { groups = [groups[0]] }

        let framesPerFragment = audioFramesPerFragment(fragmentDuration: fragmentDuration, sampleRate: profile.sampleRate)
        var taken = Set<String>()
        func unique(_ name: String) -> String {
            var candidate = name, n = 2
            while taken.contains(candidate) { candidate = "\(name)_\(n)"; n += 1 }
            taken.insert(candidate)
            return candidate
        }
        var plans: [AudioPlan] = []
        for group in groups {
            let main = group.streams[0]
            let base: String
            if groups.count == 1 {
                base = "audio"
            } else if let language = group.language, !language.isEmpty {
                base = "audio_\(language)"
            } else {
                base = "audio_\((streams.firstIndex(of: main) ?? 0) + 1)"
            }
            let channels = min(main.channels, profile.channels)
            plans.append(AudioPlan(sourceStreamIndex: main.index, trackName: unique(base), language: group.language,
                                   sampleRate: profile.sampleRate, channels: channels, bitrate: profile.bitrate,
                                   framesPerFragment: framesPerFragment))
            if let surround = profile.surround {
                if let multichannel = group.streams.first(where: { $0.channels >= 6 }) {
                    plans.append(AudioPlan(sourceStreamIndex: multichannel.index, trackName: unique("\(base)_51"),
                                           language: group.language, sampleRate: profile.sampleRate,
                                           channels: surround.channels, bitrate: surround.bitrate,
                                           framesPerFragment: framesPerFragment))
                } else {
                    notes.append("no 5.1 source stream for \(base): surround track skipped")
                }
            }
        }
        return plans
    }

    /// Lower-case ASCII letters and digits of a language tag; nil for none, empty or `und`.
    static func normalizedLanguage(_ language: String?) -> String? {
        guard let language else { return nil }
        let cleaned = String(language.lowercased().unicodeScalars.filter {
            ("a"..."z").contains($0) || ("0"..."9").contains($0)
        }.map(Character.init))
        return cleaned.isEmpty || cleaned == "und" ? nil : cleaned
    }
}

// MARK: Exact rounding

/// `round(r)`, half up, for r ≥ 0 (and correct toward +∞ for negatives).
func roundHalfUp(_ r: Rational) -> Int64 {
    let n = r.numerator, d = r.denominator
    let q = n / d, rem = n % d
    if rem >= 0 { return 2 * rem >= d ? q + 1 : q }
    return 2 * -rem > d ? q - 1 : q
}

/// The even integer nearest `r` (halves go up), at least 0.
func roundToEven(_ r: Rational) -> Int {
    Int(max(0, roundHalfUp(r / Rational(2, 1)) * 2))
}

/// The largest even integer ≤ `n`.
func floorToEven(_ n: Int) -> Int { n - (n & 1) }
