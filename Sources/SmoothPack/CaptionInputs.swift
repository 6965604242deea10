internal import Foundation
internal import Captions

/// How a caption track is meant to be shown: kept as the `Subtype` in Smooth, `FORCED`/`CHARACTERISTICS` in
/// HLS and `Role` in DASH.
public enum CaptionRole: String, Sendable, Codable, CaseIterable {
    /// Translated dialogue (Smooth `SUBT`).
    case subtitles
    /// Only the foreign-language or on-screen text parts, shown without the user choosing (`SUBT`, HLS FORCED).
    case forced
    /// Captions for the deaf and hard of hearing: dialogue and sounds (`CAPT`,
    /// HLS `public.accessibility.describes-music-and-sound`).
    case sdh
}

/// One caption file given to an encode (`--captions FILE[:lang]`) or found beside the source.
public struct CaptionInput: Sendable, Equatable, Codable {
    public var path: String
    /// BCP 47 tag (`en`, `pt-BR`); nil takes ``CaptionOptions/defaultLanguage`` or `und`.
    public var language: String?
    public var role: CaptionRole

    public init(path: String, language: String? = nil, role: CaptionRole = .subtitles) {
        self.path = path
        self.language = language
        self.role = role
    }

    /// Parses `FILE[:lang]` (a `:lang` suffix only when it is a language tag, so paths with colons still work).
    public static func parse(_ argument: String) -> CaptionInput {
        if let colon = argument.lastIndex(of: ":"), CaptionLanguage(tag: String(argument[argument.index(after: colon)...])) != nil {
            return CaptionInput(path: String(argument[..<colon]), language: String(argument[argument.index(after: colon)...]))
        }
        return CaptionInput(path: argument)
    }
}

/// Caption settings of an encode.
public struct CaptionOptions: Sendable, Equatable {
    /// Files named explicitly (`--captions`), in order.
    public var files: [CaptionInput]
    /// Take sidecars beside the source (`clip.srt`, `clip.en.vtt`, `clip.fr.forced.ttml`, …).
    public var sidecars: Bool
    /// The language of a caption file whose name and argument give none (`--caption-language`).
    public var defaultLanguage: String?
    /// A caption that cannot be read is left out with a note instead of failing the source (`--captions-optional`).
    public var optional: Bool

    public init(files: [CaptionInput] = [], sidecars: Bool = true, defaultLanguage: String? = nil, optional: Bool = false) {
        self.files = files
        self.sidecars = sidecars
        self.defaultLanguage = defaultLanguage
        self.optional = optional
    }
}

/// A language tag in the two forms the outputs need: BCP 47 (HLS `LANGUAGE`, DASH `lang`, TTML `xml:lang`)
/// and ISO 639-2/T (Smooth `Language`, `mdhd`).
public struct CaptionLanguage: Sendable, Hashable, Codable {
    public var bcp47: String
    public var iso639_2: String

    /// ISO 639-1 → 639-2/T for the languages catalogues carry most; other 2-letter codes keep `und` in 639-2.
    static let twoToThree: [String: String] = [
        "ar": "ara", "bg": "bul", "bn": "ben", "ca": "cat", "cs": "ces", "cy": "cym", "da": "dan", "de": "deu",
        "el": "ell", "en": "eng", "es": "spa", "et": "est", "eu": "eus", "fa": "fas", "fi": "fin", "fr": "fra",
        "ga": "gle", "gl": "glg", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind", "is": "isl",
        "it": "ita", "ja": "jpn", "ko": "kor", "lt": "lit", "lv": "lav", "ms": "msa", "mt": "mlt", "nb": "nob",
        "nl": "nld", "nn": "nno", "no": "nor", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk",
        "sl": "slv", "sr": "srp", "sv": "swe", "ta": "tam", "th": "tha", "tr": "tur", "uk": "ukr", "ur": "urd",
        "vi": "vie", "zh": "zho",
    ]
    /// ISO 639-2/B codes (Matroska writes these) → /T.
    static let bibliographic: [String: String] = [
        "fre": "fra", "ger": "deu", "dut": "nld", "chi": "zho", "cze": "ces", "gre": "ell", "per": "fas",
        "rum": "ron", "slo": "slk", "wel": "cym", "ice": "isl", "baq": "eus", "may": "msa", "arm": "hye",
        "alb": "sqi", "geo": "kat", "mac": "mkd", "bur": "mya", "tib": "bod",
    ]

    /// Parses `en`, `en-US`, `pt-BR`, `eng`, `fre`, `zh-Hans`; nil for anything that is not a language tag.
    public init?(tag: String) {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }),
              parts.dropFirst().allSatisfy({ (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        else { return nil }
        let primary = first.lowercased()
        let rest = parts.dropFirst().map { $0.count == 2 ? $0.uppercased() : String($0) }
        if primary.count == 2 {
            bcp47 = ([primary] + rest).joined(separator: "-")
            iso639_2 = Self.twoToThree[primary] ?? "und"
        } else {
            let t = Self.bibliographic[primary] ?? primary
            iso639_2 = t
            let two = Self.twoToThree.first { $0.value == t }?.key
            bcp47 = ([two ?? t] + rest).joined(separator: "-")
        }
    }

    public static let undetermined = CaptionLanguage(tag: "und")!
}

/// Finding the caption files of a source: explicit ones first, then sidecars `<name>[.<lang>][.forced|.sdh|.cc].<ext>`
/// beside it (same folder, same name up to the first dot after it), in file name order.
enum CaptionDiscovery {
    struct Found: Equatable {
        var url: URL
        var language: CaptionLanguage
        var role: CaptionRole
        var format: CaptionFormat
    }

    /// The caption inputs of `source`, and notes for files that look like sidecars but cannot be used.
    static func inputs(for source: URL, options: CaptionOptions) throws -> (found: [Found], notes: [String]) {
        var found: [Found] = []
        var notes: [String] = []
        let fallback = try language(options.defaultLanguage, what: "--caption-language") ?? .undetermined
        for file in options.files {
            let url = URL(fileURLWithPath: file.path).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw PipelineError(source: url.path, stage: .read, message: "caption file not found")
            }
            let ext = url.pathExtension
            guard let format = CaptionFormat(fileExtension: ext) else {
                throw PipelineError(source: url.path, stage: .read,
                                    message: "not a caption file name (.srt, .vtt, .ttml, .dfxp or .xml)")
            }
            found.append(Found(url: url, language: try language(file.language, what: url.lastPathComponent) ?? fallback,
                               role: file.role, format: format))
        }
        guard options.sidecars else { return (found, notes) }
        let folder = source.deletingLastPathComponent()
        let base = source.deletingPathExtension().lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names.sorted() where name.hasPrefix(base + ".") && name != source.lastPathComponent {
            let url = folder.appendingPathComponent(name).standardizedFileURL
            // Sidecars by their own extensions only: a `clip.xml` beside a video is usually not captions.
            guard ["srt", "vtt", "ttml", "dfxp"].contains(url.pathExtension.lowercased()),
                  let format = CaptionFormat(fileExtension: url.pathExtension) else { continue }
            if found.contains(where: { $0.url == url }) { continue }
            var middle = name.dropFirst(base.count + 1).split(separator: ".").map(String.init)
            middle.removeLast()  // the extension
            var lang: CaptionLanguage?
            var role = CaptionRole.subtitles
            var bad: String?
            for part in middle {
                switch part.lowercased() {
                case "forced": role = .forced
                case "sdh", "cc", "hi": role = .sdh
                default:
                    if lang == nil, let l = CaptionLanguage(tag: part) { lang = l } else { bad = part }
                }
            }
            if let bad {
                notes.append("\(name): \"\(bad)\" is not a language tag or forced/sdh: not taken as a caption file")
                continue
            }
            found.append(Found(url: url, language: lang ?? fallback, role: role, format: format))
        }
        return (found, notes)
    }

    static func language(_ tag: String?, what: String) throws -> CaptionLanguage? {
        guard let tag else { return nil }
        guard let l = CaptionLanguage(tag: tag) else {
            throw PipelineError(source: what, stage: .read, message: "\"\(tag)\" is not a language tag (e.g. en, pt-BR, fra)")
        }
        return l
    }
}
