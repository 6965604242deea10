public import MediaCore

/// Which source audio streams become output tracks.
public enum AudioLanguageSelection: String, Sendable, Equatable, Codable, CaseIterable {
    /// Only the first usable audio stream (plus its surround sibling, see ``AudioProfile/surround``).
    case first
    /// One track per distinct language: the first stream of each language tag; untagged streams count
    /// as one language.
    case all
}

/// An encoding profile, resolved and validated: every default applied, every factor turned into bits
/// per second. Load one with ``Profile/load(_:profilesDirectory:)``, ``Profile/load(contentsOf:)`` or
/// ``Profile/parse(yaml:file:name:)``.
public struct Profile: Sendable, Equatable, Codable {
    /// The profile's name: the file's stem (`default` for `profiles/default.yaml`).
    public var name: String
    /// Where it came from: the file path as given, or `builtin:<name>`. Not part of the canonical description.
    public var origin: String
    /// Free text from the `description` key. Not part of the canonical description.
    public var summary: String?
    /// The fragment duration asked for, in seconds (the plan rounds it to whole frames).
    public var fragmentDuration: Rational
    /// Video ladder, or nil for an audio-only profile.
    public var video: VideoProfile?
    /// Audio settings, or nil for a video-only profile.
    public var audio: AudioProfile?
    /// `ladder`: fixed (the rungs as written) or per-title (``PerTitlePlanner``), with its settings.
    public var ladder: LadderMode = .fixed
    public var perTitle = PerTitleSettings()
    /// `quality`: measure PSNR/SSIM of every video rung while encoding (`quality.json`).
    public var measureQuality = false
    /// `chunk_seconds`: queue workers split a source longer than about twice this into chunks of about this
    /// length, encoded by any worker and joined (0: never split). Not in ``canonicalDescription``: a whole
    /// encode's version does not depend on it; a split encode adds it to its version itself.
    public var chunkSeconds: Double = Profile.defaultChunkSeconds

    /// Two minutes: a 2-hour film becomes 60 chunk jobs, each a few minutes of work on a small machine.
    public static let defaultChunkSeconds: Double = 120

    /// Creates a profile from resolved values (tests and programmatic profiles; no validation).
    public init(name: String, origin: String, summary: String? = nil, fragmentDuration: Rational,
                video: VideoProfile?, audio: AudioProfile?) {
        self.name = name
        self.origin = origin
        self.summary = summary
        self.fragmentDuration = fragmentDuration
        self.video = video
        self.audio = audio
    }
}

/// The video part of a profile.
public struct VideoProfile: Sendable, Equatable, Codable {
    /// Rungs sorted tallest first, then highest bitrate first; names are unique.
    public var rungs: [RungProfile]

    public init(rungs: [RungProfile]) {
        self.rungs = rungs
    }
}

/// One rung of a profile's ladder, with profile-level defaults applied.
public struct RungProfile: Sendable, Equatable, Codable {
    /// Unique name: the `name` key, or `<height>p`, or `<height>p_<kbps>k` when a taller or
    /// better rung already has `<height>p`.
    public var name: String
    /// Explicit width: then `width`x`height` is a box the picture is fitted into (orientation-free).
    /// Nil: the width follows the source's display aspect.
    public var width: Int?
    /// Height for a landscape source; the short side in general.
    public var height: Int
    /// Rates and x264 settings (x264 params: profile-level merged with rung-level).
    public var encoding: VideoEncoding

    public init(name: String, width: Int? = nil, height: Int, encoding: VideoEncoding) {
        self.name = name
        self.width = width
        self.height = height
        self.encoding = encoding
    }
}

/// The audio part of a profile.
public struct AudioProfile: Sendable, Equatable, Codable {
    /// Always `aac` (AAC-LC).
    public var codec: String
    public var sampleRate: Int
    /// Channels of the main track: 1, 2 or 6 (a source with fewer channels is never upmixed).
    public var channels: Int
    public var bitrate: Int
    /// An extra 5.1 track for sources with at least six channels, or nil.
    public var surround: SurroundProfile?
    public var languages: AudioLanguageSelection

    public init(codec: String = "aac", sampleRate: Int = 48000, channels: Int = 2, bitrate: Int = 128_000,
                surround: SurroundProfile? = nil, languages: AudioLanguageSelection = .first) {
        self.codec = codec
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitrate = bitrate
        self.surround = surround
        self.languages = languages
    }
}

/// The optional extra surround track.
public struct SurroundProfile: Sendable, Equatable, Codable {
    /// Always 6 (5.1).
    public var channels: Int
    /// Bits per second; differs from the main track's bitrate.
    public var bitrate: Int

    public init(channels: Int = 6, bitrate: Int = 384_000) {
        self.channels = channels
        self.bitrate = bitrate
    }
}

extension Profile {
    /// A canonical, stable text of everything in the profile that affects the output: one line per
    /// setting in a fixed order, resolved values only (defaults applied, factors turned into bits per
    /// second, x264 params sorted). YAML key order, comments, `name`, `origin` and `description` do not
    /// appear in it; any changed value does. The pipeline hashes it to name output versions.
    public var canonicalDescription: String {
        var lines = ["smoothpack-profile/1", "fragment_duration=\(fragmentDuration)"]
        if let video {
            lines.append("video.codec=h264")
            for (i, rung) in video.rungs.enumerated() {
                let r = rung.encoding
                let params = r.x264Params.keys.sorted().map { "\(Self.quoted($0))=\(Self.quoted(r.x264Params[$0] ?? ""))" }
                lines.append("video.rungs[\(i)]: name=\(Self.quoted(rung.name)) width=\(rung.width.map(String.init) ?? "auto")"
                    + " height=\(rung.height) bitrate=\(r.bitrate) maxrate=\(r.maxrate) bufsize=\(r.bufsize)"
                    + " profile=\(r.profile.rawValue) level=\(r.level ?? "auto") preset=\(r.preset)"
                    + " bframes=\(r.bframes) refs=\(r.refs.map(String.init) ?? "auto")"
                    + " x264_params={\(params.joined(separator: ","))}")
            }
        } else {
            lines.append("video=none")
        }
        if let audio {
            let surround = audio.surround.map { "channels=\($0.channels) bitrate=\($0.bitrate)" } ?? "none"
            lines.append("audio: codec=\(audio.codec) sample_rate=\(audio.sampleRate) channels=\(audio.channels)"
                + " bitrate=\(audio.bitrate) languages=\(audio.languages.rawValue)")
            lines.append("audio.surround: \(surround)")
        } else {
            lines.append("audio=none")
        }
        // Only when set, so that the versions of existing profiles do not change.
        if ladder == .perTitle {
            let p = perTitle
            lines.append("ladder=per-title crf=\(p.crf) merge_ratio=\(p.mergeRatio) near_ceiling=\(p.nearCeiling)"
                + " minimum_bitrate=\(p.minimumBitrate) samples=\(p.samples) sample_seconds=\(p.sampleSeconds)")
            // A separate line, so that per-title versions made before the key existed do not change.
            if p.crfStep > 0 { lines.append("per_title.crf_step=\(p.crfStep)") }
        }
        if measureQuality { lines.append("quality=psnr,ssim") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Double-quoted with `\` and `"` escaped, so free-form strings cannot forge a field.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
