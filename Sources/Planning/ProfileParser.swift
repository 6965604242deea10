import MediaCore
import Yams

extension Profile {
    /// Parses and validates profile YAML text.
    ///
    /// - Parameters:
    ///   - yaml: the document.
    ///   - file: how errors name the document (a path, or `builtin:<name>`).
    ///   - name: the profile's name (usually the file's stem).
    /// - Throws: ``ProfileError`` naming `file`, the key path and the reason for the first problem found.
    public static func parse(yaml: String, file: String, name: String) throws(ProfileError) -> Profile {
        try ProfileParser(file: file).parse(yaml: yaml, name: name)
    }

    /// Every x264 preset name a profile may use, fastest first.
    public static let x264Presets = ["ultrafast", "superfast", "veryfast", "faster", "fast",
                                     "medium", "slow", "slower", "veryslow", "placebo"]

    /// The sampling rates AAC can signal (its sampling-frequency index table), highest first.
    public static let aacSampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050,
                                        16000, 12000, 11025, 8000, 7350]

    /// H.264 level names accepted by `level` (a trailing `.0` is also accepted and dropped).
    public static let h264Levels = ["1", "1b", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "3", "3.1", "3.2",
                                    "4", "4.1", "4.2", "5", "5.1", "5.2", "6", "6.1", "6.2"]
}

/// x264 options that the plan itself controls; setting them through `x264_params` would break the
/// fragment grid or contradict a profile key. Compared with `_` read as `-`, as x264 does.
private let reservedX264Params: [String: String] = [
    "keyint": "the GOP is set by fragment_duration",
    "min-keyint": "the GOP is set by fragment_duration",
    "keyint-min": "the GOP is set by fragment_duration",
    "fps": "the frame rate is chosen by the planner",
    "bitrate": "use the rung's bitrate",
    "vbv-maxrate": "use maxrate or maxrate_factor",
    "vbv-bufsize": "use bufsize or bufsize_factor",
    "crf": "rungs are bitrate-controlled (bitrate, maxrate, bufsize)",
    "qp": "rungs are bitrate-controlled (bitrate, maxrate, bufsize)",
    "bframes": "use the bframes key",
    "ref": "use the refs key",
    "profile": "use the profile key",
    "level": "use the level key",
    "preset": "use the preset key",
    "pass": "smoothpack encodes in one pass",
    "stats": "smoothpack encodes in one pass",
    "threads": "each rung encodes on one thread so that the same inputs give the same bytes",
    "lookahead-threads": "each rung encodes on one thread so that the same inputs give the same bytes",
    "sliced-threads": "each rung encodes on one thread so that the same inputs give the same bytes",
    "non-deterministic": "the same inputs must give the same bytes",
    "deterministic": "the same inputs must give the same bytes",
]

/// Keys of each mapping, in the order the README documents them.
private enum Keys {
    static let root = ["description", "fragment_duration", "video", "audio", "ladder", "per_title", "quality",
                       "chunk_seconds"]
    static let perTitle = ["crf", "crf_step", "merge_ratio", "near_ceiling", "minimum_bitrate", "samples", "sample_seconds"]
    static let rungDefaults = ["preset", "profile", "level", "bframes", "refs", "maxrate", "maxrate_factor",
                               "bufsize", "bufsize_factor", "x264_params"]
    static let video = ["codec"] + rungDefaults + ["rungs"]
    static let rung = ["name", "width", "height", "bitrate"] + rungDefaults
    static let audio = ["codec", "sample_rate", "channels", "bitrate", "surround", "languages"]
    static let surround = ["channels", "bitrate"]
}

/// A YAML mapping whose keys were checked against the schema.
private struct Mapping {
    let path: String
    let line: Int?
    let entries: [String: Node]

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`, with an explicit YAML null (`~`, `null`, empty) read as absent.
    subscript(key: String) -> Node? {
        guard let node = entries[key] else { return nil }
        return isNull(node) ? nil : node
    }
}

private func isNull(_ node: Node) -> Bool {
    guard case let .scalar(s) = node, s.style == .plain else { return false }
    return ["", "~", "null", "Null", "NULL"].contains(s.string)
}

/// Per-rung settings that may also be given at the `video` level.
private struct RungSettings {
    var preset: String?
    var profile: H264Profile?
    var level: String?
    var bframes: Int?
    var refs: Int?
    var maxrate: (value: Int, path: String)?
    var maxrateFactor: (value: Rational, path: String)?
    var bufsize: Int?
    var bufsizeFactor: Rational?
    var x264Params: [String: String] = [:]
}

struct ProfileParser {
    let file: String

    private func error(_ kind: ProfileError.Kind, _ path: String, _ node: Node?, _ reason: String) -> ProfileError {
        ProfileError(kind: kind, file: file, keyPath: path, line: node?.mark?.line, reason: reason)
    }

    func parse(yaml: String, name: String) throws(ProfileError) -> Profile {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw error(.missingKey, "", nil, "empty document (expected a mapping with video and/or audio)")
            }
            root = node
        } catch let e as ProfileError {
            throw e
        } catch {
            throw yamlError(error)
        }
        let top = try mapping(root, path: "", allowed: Keys.root)

        let summary = try top["description"].map { node throws(ProfileError) in try string(node, top.child("description")) }
        var fragmentDuration = Rational(2, 1)
        if let node = top["fragment_duration"] {
            let path = top.child("fragment_duration")
            fragmentDuration = try decimal(node, path)
            guard fragmentDuration.isPositive else {
                throw error(.invalidValue, path, node, "must be positive, got \(scalarText(node))")
            }
            guard fragmentDuration <= Rational(30, 1) else {
                throw error(.invalidValue, path, node, "must be at most 30 seconds, got \(scalarText(node))")
            }
        }
        let video = try top["video"].map { node throws(ProfileError) in try parseVideo(node, path: top.child("video")) }
        let audio = try top["audio"].map { node throws(ProfileError) in try parseAudio(node, path: top.child("audio")) }
        if video == nil && audio == nil {
            throw error(.missingKey, "", root, "a profile needs a video section, an audio section or both")
        }
        var profile = Profile(name: name, origin: file, summary: summary, fragmentDuration: fragmentDuration,
                              video: video, audio: audio)
        try parseQualityKeys(top, into: &profile)
        if let node = top["chunk_seconds"] {
            let path = top.child("chunk_seconds")
            let seconds = try decimal(node, path)
            guard seconds.numerator == 0 || (seconds >= Rational(1, 1) && seconds <= Rational(86400, 1)) else {
                throw error(.invalidValue, path, node, "must be 0 (never split) or 1 to 86400 seconds, got \(scalarText(node))")
            }
            profile.chunkSeconds = seconds.doubleValue
        }
        return profile
    }

    private func yamlError(_ e: any Error) -> ProfileError {
        if let y = e as? YamlError {
            switch y {
            case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
                return ProfileError(kind: .syntax, file: file, keyPath: "", line: mark.line,
                                    reason: "invalid YAML: \(problem)")
            case let .duplicatedKeysInMapping(duplicates, context):
                return ProfileError(kind: .syntax, file: file, keyPath: duplicates.sorted().joined(separator: ","),
                                    line: context.mark.line, reason: "duplicate key in a mapping")
            default:
                break
            }
        }
        return ProfileError(kind: .syntax, file: file, keyPath: "", reason: "invalid YAML: \(e)")
    }

    // MARK: Sections

    /// `ladder`, `per_title` and `quality` (docs/quality.md).
    private func parseQualityKeys(_ top: Mapping, into profile: inout Profile) throws(ProfileError) {
        if let n = top["ladder"] {
            profile.ladder = LadderMode(rawValue: try choice(n, top.child("ladder"), LadderMode.allCases.map(\.rawValue))) ?? .fixed
        }
        if let n = top["quality"] {
            profile.measureQuality = try choice(n, top.child("quality"), ["true", "false", "psnr,ssim"]) != "false"
        }
        guard let node = top["per_title"] else { return }
        let map = try mapping(node, path: top.child("per_title"), allowed: Keys.perTitle)
        var p = PerTitleSettings()
        if let n = map["crf"] { p.crf = try integer(n, map.child("crf"), in: 0...51) }
        if let n = map["samples"] { p.samples = try integer(n, map.child("samples"), in: 1...100) }
        if let n = map["minimum_bitrate"] { p.minimumBitrate = try bitrate(n, map.child("minimum_bitrate"), minimum: 1000) }
        func ratio(_ key: String, _ range: ClosedRange<Double>) throws(ProfileError) -> Double? {
            guard let n = map[key] else { return nil }
            let v = try decimal(n, map.child(key)).doubleValue
            guard range.contains(v) else {
                throw error(.invalidValue, map.child(key), n, "must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
            }
            return v
        }
        if let v = try ratio("merge_ratio", 1...4) { p.mergeRatio = v }
        if let v = try ratio("crf_step", 0...6) { p.crfStep = v }
        if let v = try ratio("near_ceiling", 0.1...1) { p.nearCeiling = v }
        if let v = try ratio("sample_seconds", 0.5...30) { p.sampleSeconds = v }
        profile.perTitle = p
    }

    private func parseVideo(_ node: Node, path: String) throws(ProfileError) -> VideoProfile {
        let map = try mapping(node, path: path, allowed: Keys.video)
        if let codec = map["codec"] {
            _ = try choice(codec, map.child("codec"), ["h264"])
        }
        let defaults = try rungSettings(map)
        guard let rungsNode = map["rungs"] else {
            throw error(.missingKey, map.child("rungs"), node, "missing required key (a list of at least one rung)")
        }
        guard case let .sequence(seq) = rungsNode else {
            throw error(.wrongType, map.child("rungs"), rungsNode, "must be a list of rungs")
        }
        guard !seq.isEmpty else {
            throw error(.invalidValue, map.child("rungs"), rungsNode, "must list at least one rung")
        }
        var rungs: [(index: Int, rung: RungProfile, explicitName: Bool)] = []
        var bitratePaths: [Int: String] = [:]
        var namePaths: [String: String] = [:]
        for (i, item) in seq.enumerated() {
            let rungPath = "\(map.child("rungs"))[\(i)]"
            let (rung, explicitName) = try parseRung(item, path: rungPath, defaults: defaults)
            if let previous = bitratePaths[rung.encoding.bitrate] {
                throw error(.invalidValue, "\(rungPath).bitrate", item,
                            "duplicate bitrate \(rung.encoding.bitrate), already used by \(previous) (bitrates name the QualityLevels)")
            }
            bitratePaths[rung.encoding.bitrate] = rungPath
            if explicitName {
                if let previous = namePaths[rung.name] {
                    throw error(.invalidValue, "\(rungPath).name", item, "duplicate name '\(rung.name)', already used by \(previous)")
                }
                namePaths[rung.name] = rungPath
            }
            rungs.append((i, rung, explicitName))
        }
        // Tallest first, then highest bitrate first, so the file's order of rungs does not matter.
        rungs.sort { a, b in
            if a.rung.height != b.rung.height { return a.rung.height > b.rung.height }
            return a.rung.encoding.bitrate > b.rung.encoding.bitrate
        }
        var taken = Set(namePaths.keys)
        var result: [RungProfile] = []
        for var entry in rungs {
            if !entry.explicitName {
                var candidate = entry.rung.name
                if taken.contains(candidate) { candidate += "_" + Self.bitrateLabel(entry.rung.encoding.bitrate) }
                var n = 2
                let base = candidate
                while taken.contains(candidate) { candidate = "\(base)_\(n)"; n += 1 }
                entry.rung.name = candidate
            }
            taken.insert(entry.rung.name)
            result.append(entry.rung)
        }
        return VideoProfile(rungs: result)
    }

    /// `4500k` for 4500000, `1500500` for 1500500.
    static func bitrateLabel(_ bps: Int) -> String {
        bps % 1000 == 0 ? "\(bps / 1000)k" : "\(bps)"
    }

    private func rungSettings(_ map: Mapping) throws(ProfileError) -> RungSettings {
        var s = RungSettings()
        if let n = map["preset"] { s.preset = try choice(n, map.child("preset"), Profile.x264Presets) }
        if let n = map["profile"] {
            s.profile = H264Profile(rawValue: try choice(n, map.child("profile"), H264Profile.allCases.map(\.rawValue)))
        }
        if let n = map["level"] { s.level = try level(n, map.child("level")) }
        if let n = map["bframes"] { s.bframes = try integer(n, map.child("bframes"), in: 0...16) }
        if let n = map["refs"] { s.refs = try integer(n, map.child("refs"), in: 1...16) }
        if map["maxrate"] != nil && map["maxrate_factor"] != nil {
            throw error(.invalidValue, map.child("maxrate"), map["maxrate"], "give maxrate or maxrate_factor, not both")
        }
        if map["bufsize"] != nil && map["bufsize_factor"] != nil {
            throw error(.invalidValue, map.child("bufsize"), map["bufsize"], "give bufsize or bufsize_factor, not both")
        }
        if let n = map["maxrate"] {
            s.maxrate = (try bitrate(n, map.child("maxrate"), minimum: 10_000), map.child("maxrate"))
        }
        if let n = map["maxrate_factor"] {
            let path = map.child("maxrate_factor")
            let f = try decimal(n, path)
            guard !(f < Rational(1, 1)), !(Rational(100, 1) < f) else {
                throw error(.invalidValue, path, n, "must be between 1 and 100 (maxrate below the bitrate is impossible), got \(scalarText(n))")
            }
            s.maxrateFactor = (f, path)
        }
        if let n = map["bufsize"] { s.bufsize = try bitrate(n, map.child("bufsize"), minimum: 10_000) }
        if let n = map["bufsize_factor"] {
            let path = map.child("bufsize_factor")
            let f = try decimal(n, path)
            guard f.isPositive, !(Rational(100, 1) < f) else {
                throw error(.invalidValue, path, n, "must be greater than 0 and at most 100, got \(scalarText(n))")
            }
            s.bufsizeFactor = f
        }
        if let n = map["x264_params"] { s.x264Params = try x264Params(n, map.child("x264_params")) }
        return s
    }

    private func parseRung(_ node: Node, path: String, defaults: RungSettings) throws(ProfileError) -> (RungProfile, Bool) {
        let map = try mapping(node, path: path, allowed: Keys.rung)
        guard let heightNode = map["height"] else {
            throw error(.missingKey, map.child("height"), node, "missing required key (pixels, even)")
        }
        let height = try dimension(heightNode, map.child("height"), in: 16...4320)
        let width = try map["width"].map { n throws(ProfileError) in try dimension(n, map.child("width"), in: 16...8192) }
        guard let bitrateNode = map["bitrate"] else {
            throw error(.missingKey, map.child("bitrate"), node, "missing required key (bits per second, e.g. 3000k)")
        }
        let bitrate = try bitrate(bitrateNode, map.child("bitrate"), minimum: 10_000)
        var name = "\(height)p"
        var explicitName = false
        if let n = map["name"] {
            let path = map.child("name")
            name = try string(n, path)
            guard !name.isEmpty, name.utf8.count <= 64,
                  name.unicodeScalars.allSatisfy({ isASCIIAlphanumeric($0) || "_-.".unicodeScalars.contains($0) }) else {
                throw error(.invalidValue, path, n, "must be 1 to 64 characters of [A-Za-z0-9_.-], got '\(name)'")
            }
            explicitName = true
        }

        let own = try rungSettings(map)
        let profile = own.profile ?? defaults.profile ?? .high
        var bframes = own.bframes ?? defaults.bframes ?? 3
        if !profile.allowsBFrames {
            if let explicit = own.bframes, explicit > 0 {
                throw error(.invalidValue, map.child("bframes"), map["bframes"], "the baseline profile has no B-frames, got \(explicit)")
            }
            bframes = 0
        }

        let maxrate: Int
        let maxratePath: String
        if let m = own.maxrate ?? (own.maxrateFactor == nil ? defaults.maxrate : nil) {
            (maxrate, maxratePath) = m
        } else {
            let f = own.maxrateFactor ?? defaults.maxrateFactor ?? (Rational(3, 2), "")
            (maxrate, maxratePath) = (Self.scaled(bitrate, by: f.value), f.path)
        }
        if maxrate < bitrate {
            let key = maxratePath.isEmpty ? map.child("maxrate") : maxratePath
            throw error(.invalidValue, key, map["maxrate"] ?? node,
                        "maxrate \(maxrate) is below the bitrate \(bitrate) of \(path)")
        }
        let bufsize: Int
        if let b = own.bufsize ?? (own.bufsizeFactor == nil ? defaults.bufsize : nil) {
            bufsize = b
        } else {
            bufsize = Self.scaled(bitrate, by: own.bufsizeFactor ?? defaults.bufsizeFactor ?? Rational(2, 1))
        }
        var params = defaults.x264Params
        params.merge(own.x264Params) { _, rung in rung }

        let encoding = VideoEncoding(bitrate: bitrate, maxrate: maxrate, bufsize: bufsize, profile: profile,
                                     level: own.level ?? defaults.level, preset: own.preset ?? defaults.preset ?? "medium",
                                     bframes: bframes, refs: own.refs ?? defaults.refs, x264Params: params)
        let rung = RungProfile(name: name, width: width, height: height, encoding: encoding)
        return (rung, explicitName)
    }

    private func parseAudio(_ node: Node, path: String) throws(ProfileError) -> AudioProfile {
        let map = try mapping(node, path: path, allowed: Keys.audio)
        var audio = AudioProfile()
        if let n = map["codec"] { audio.codec = try choice(n, map.child("codec"), ["aac"]) }
        if let n = map["sample_rate"] {
            let p = map.child("sample_rate")
            let rate = try integer(n, p, in: Int.min...Int.max)
            guard Profile.aacSampleRates.contains(rate) else {
                throw error(.invalidValue, p, n, "\(rate) is not an AAC sampling rate (one of "
                            + Profile.aacSampleRates.map(String.init).joined(separator: ", ") + ")")
            }
            audio.sampleRate = rate
        }
        if let n = map["channels"] {
            let p = map.child("channels")
            let channels = try integer(n, p, in: Int.min...Int.max)
            guard [1, 2, 6].contains(channels) else {
                throw error(.invalidValue, p, n, "must be 1, 2 or 6, got \(channels)")
            }
            audio.channels = channels
        }
        if let n = map["bitrate"] {
            audio.bitrate = try bitrate(n, map.child("bitrate"), minimum: 8_000)
        }
        try checkAACBitrate(audio.bitrate, channels: audio.channels, sampleRate: audio.sampleRate,
                            path: map.child("bitrate"), node: map["bitrate"] ?? node)
        if let n = map["languages"] {
            audio.languages = AudioLanguageSelection(rawValue: try choice(n, map.child("languages"),
                                                                          AudioLanguageSelection.allCases.map(\.rawValue))) ?? .first
        }
        if let n = map["surround"] {
            let sp = map.child("surround")
            let s = try mapping(n, path: sp, allowed: Keys.surround)
            var surround = SurroundProfile()
            if let c = s["channels"] {
                let channels = try integer(c, s.child("channels"), in: Int.min...Int.max)
                guard channels == 6 else {
                    throw error(.invalidValue, s.child("channels"), c, "must be 6 (5.1), got \(channels)")
                }
            }
            if let b = s["bitrate"] { surround.bitrate = try bitrate(b, s.child("bitrate"), minimum: 8_000) }
            try checkAACBitrate(surround.bitrate, channels: 6, sampleRate: audio.sampleRate,
                                path: s.child("bitrate"), node: s["bitrate"] ?? n)
            guard surround.bitrate != audio.bitrate else {
                throw error(.invalidValue, s.child("bitrate"), s["bitrate"] ?? n,
                            "must differ from audio.bitrate \(audio.bitrate) (bitrates name the QualityLevels)")
            }
            guard audio.channels <= 2 else {
                throw error(.invalidValue, sp, n, "an extra surround track needs audio.channels 1 or 2, got \(audio.channels)")
            }
            audio.surround = surround
        }
        return audio
    }

    /// AAC-LC carries at most 6144 bits per channel per 1024-sample frame.
    private func checkAACBitrate(_ bps: Int, channels: Int, sampleRate: Int, path: String, node: Node) throws(ProfileError) {
        let maximum = 6144 * channels * sampleRate / 1024
        guard bps <= maximum else {
            throw error(.invalidValue, path, node,
                        "\(bps) exceeds AAC-LC's maximum of \(maximum) for \(channels) channel(s) at \(sampleRate) Hz")
        }
    }

    // MARK: Scalars

    private func mapping(_ node: Node, path: String, allowed: [String]) throws(ProfileError) -> Mapping {
        guard case let .mapping(m) = node else {
            throw error(.wrongType, path, node, "must be a mapping of keys to values")
        }
        var entries: [String: Node] = [:]
        for (keyNode, value) in m {
            guard case let .scalar(k) = keyNode else {
                throw error(.wrongType, path, keyNode, "keys must be plain words")
            }
            let key = k.string
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowed.contains(key) else {
                throw error(.unknownKey, keyPath, keyNode,
                            "unknown key '\(key)' (expected one of: \(allowed.joined(separator: ", ")))")
            }
            entries[key] = value
        }
        return Mapping(path: path, line: node.mark?.line, entries: entries)
    }

    private func scalarText(_ node: Node) -> String {
        if case let .scalar(s) = node { return s.string }
        return "a non-scalar value"
    }

    private func string(_ node: Node, _ path: String) throws(ProfileError) -> String {
        guard case let .scalar(s) = node else {
            throw error(.wrongType, path, node, "must be a single value, not a list or mapping")
        }
        return s.string
    }

    private func choice(_ node: Node, _ path: String, _ allowed: [String]) throws(ProfileError) -> String {
        let value = try string(node, path)
        guard allowed.contains(value) else {
            throw error(.invalidValue, path, node, "unknown value '\(value)' (expected one of: \(allowed.joined(separator: ", ")))")
        }
        return value
    }

    private func integer(_ node: Node, _ path: String, in range: ClosedRange<Int>) throws(ProfileError) -> Int {
        let text = try string(node, path)
        guard let value = Int(text.filter { $0 != "_" }) else {
            throw error(.wrongType, path, node, "must be a whole number, got '\(text)'")
        }
        guard range.contains(value) else {
            throw error(.invalidValue, path, node, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A width or height: whole, even, within `range`.
    private func dimension(_ node: Node, _ path: String, in range: ClosedRange<Int>) throws(ProfileError) -> Int {
        let text = try string(node, path)
        guard let value = Int(text.filter { $0 != "_" }) else {
            throw error(.wrongType, path, node, "must be a whole number of pixels, got '\(text)'")
        }
        guard value > 0 else { throw error(.invalidValue, path, node, "must be positive, got \(value)") }
        guard value % 2 == 0 else { throw error(.invalidValue, path, node, "must be even (4:2:0 chroma), got \(value)") }
        guard range.contains(value) else {
            throw error(.invalidValue, path, node, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// Bits per second: a whole number, or a decimal with a `k` (×1000) or `M` (×1 000 000) suffix.
    private func bitrate(_ node: Node, _ path: String, minimum: Int) throws(ProfileError) -> Int {
        let text = try string(node, path)
        var digits = Substring(text)
        var multiplier: Int64 = 1
        if digits.hasSuffix("k") || digits.hasSuffix("K") {
            multiplier = 1000
            digits = digits.dropLast()
        } else if digits.hasSuffix("M") {
            multiplier = 1_000_000
            digits = digits.dropLast()
        }
        guard let number = Self.parseDecimal(String(digits)) else {
            throw error(.wrongType, path, node, "must be bits per second, e.g. 3000000, 3000k or 3M; got '\(text)'")
        }
        let value = number * Rational(multiplier, 1)
        guard value.isPositive else { throw error(.invalidValue, path, node, "must be positive, got \(text)") }
        guard value.denominator == 1 else {
            throw error(.invalidValue, path, node, "must be a whole number of bits per second, got \(text)")
        }
        guard value.numerator >= Int64(minimum) else {
            throw error(.invalidValue, path, node,
                        "\(value.numerator) bps is implausibly low (at least \(minimum); write 3000k for kb/s)")
        }
        guard value.numerator <= 800_000_000 else {
            throw error(.invalidValue, path, node, "must be at most 800M, got \(text)")
        }
        return Int(value.numerator)
    }

    private func decimal(_ node: Node, _ path: String) throws(ProfileError) -> Rational {
        let text = try string(node, path)
        guard let value = Self.parseDecimal(text) else {
            throw error(.wrongType, path, node, "must be a number such as 2, 2.0, 1.5 or 1001/500; got '\(text)'")
        }
        return value
    }

    /// Exact value of `12`, `-1.5`, `2.002` or `1001/500`; nil for anything else or too many digits.
    static func parseDecimal(_ text: String) -> Rational? {
        let s = text.filter { $0 != "_" }
        if let slash = s.firstIndex(of: "/") {
            guard let n = Int64(s[..<slash]), let d = Int64(s[s.index(after: slash)...]), d > 0,
                  abs(n) < 1_000_000_000_000, d < 1_000_000_000_000 else { return nil }
            return Rational(n, d)
        }
        var body = Substring(s)
        var sign: Int64 = 1
        if body.first == "-" { sign = -1; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              !parts[0].isEmpty || (parts.count == 2 && !parts[1].isEmpty) else { return nil }
        let whole = parts[0], fraction = parts.count == 2 ? parts[1] : ""
        guard whole.count + fraction.count <= 15 else { return nil }
        var denominator: Int64 = 1
        for _ in fraction { denominator *= 10 }
        guard let n = Int64(whole.isEmpty && fraction.isEmpty ? "0" : String(whole + fraction)) else { return nil }
        return Rational(sign * n, denominator)
    }

    /// `round(value × factor)`, half away from zero.
    static func scaled(_ value: Int, by factor: Rational) -> Int {
        let product = Int64(value).multipliedFullWidth(by: factor.numerator)
        precondition(product.high == 0, "bitrate × factor overflows") // both are bounded by validation
        let n = Int64(product.low)
        return Int((n + factor.denominator / 2) / factor.denominator)
    }

    private func level(_ node: Node, _ path: String) throws(ProfileError) -> String {
        var text = try string(node, path)
        if text.hasSuffix(".0") { text.removeLast(2) }
        guard Profile.h264Levels.contains(text) else {
            throw error(.invalidValue, path, node,
                        "unknown H.264 level '\(scalarText(node))' (expected one of: \(Profile.h264Levels.joined(separator: ", ")))")
        }
        return text
    }

    private func x264Params(_ node: Node, _ path: String) throws(ProfileError) -> [String: String] {
        guard case let .mapping(m) = node else {
            throw error(.wrongType, path, node, "must be a mapping of x264 option names to values")
        }
        var params: [String: String] = [:]
        for (keyNode, valueNode) in m {
            let key = try string(keyNode, path)
            let keyPath = "\(path).\(key)"
            guard !key.isEmpty, key.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
                throw error(.invalidValue, keyPath, keyNode, "x264 option names must match [a-z0-9_-]+")
            }
            let normalized = key.replacingUnderscores()
            if let why = reservedX264Params[normalized] {
                throw error(.invalidValue, keyPath, keyNode, "'\(key)' is set by smoothpack: \(why)")
            }
            guard !isNull(valueNode) else { throw error(.invalidValue, keyPath, valueNode, "must have a value") }
            let value = try string(valueNode, keyPath)
            guard !value.isEmpty, !value.contains(":"), !value.contains("="),
                  !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw error(.invalidValue, keyPath, valueNode, "value must be non-empty without ':', '=' or control characters")
            }
            if normalized == "open-gop", !["0", "false", "no", "none"].contains(value.lowercased()) {
                throw error(.invalidValue, keyPath, valueNode, "open GOPs would break fragment alignment (only 0 is allowed)")
            }
            params[key] = value
        }
        return params
    }
}

private func isASCIIAlphanumeric(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(map { $0 == "_" ? "-" : $0 })
    }
}
