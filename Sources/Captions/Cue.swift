/// A run of cue text with the only styling smoothpack carries: italic and bold (docs/format.md "Captions").
public struct CueSpan: Sendable, Hashable {
    public var text: String
    public var italic: Bool
    public var bold: Bool

    public init(_ text: String, italic: Bool = false, bold: Bool = false) {
        self.text = text
        self.italic = italic
        self.bold = bold
    }
}

/// One caption cue on the 10 MHz clock: shown from `start` (inclusive) to `end` (exclusive).
/// `lines` are the displayed lines, each a list of spans; other styling (colour, position, ruby,
/// voices) is dropped by the parsers, with a warning the first time a file uses it.
public struct Cue: Sendable, Hashable {
    public var start: Int64
    public var end: Int64
    public var lines: [[CueSpan]]

    public init(start: Int64, end: Int64, lines: [[CueSpan]]) {
        self.start = start
        self.end = end
        self.lines = lines
    }

    /// Creates a cue from plain text, one line per `\n`.
    public init(start: Int64, end: Int64, text: String) {
        self.init(start: start, end: end, lines: text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { [CueSpan(String($0))] })
    }

    /// The text without styling, lines joined by `\n`.
    public var plainText: String { lines.map { $0.map(\.text).joined() }.joined(separator: "\n") }
}

/// A caption file format smoothpack reads.
public enum CaptionFormat: String, Sendable, CaseIterable, Codable {
    case srt, webvtt, ttml

    /// The format a file extension names (`srt`, `vtt`, `ttml`, `dfxp`, `xml`), case-insensitive.
    public init?(fileExtension: some StringProtocol) {
        switch fileExtension.lowercased() {
        case "srt": self = .srt
        case "vtt", "webvtt": self = .webvtt
        case "ttml", "dfxp", "xml", "ttml2": self = .ttml
        default: return nil
        }
    }
}

/// Where a problem is: the file's name as the caller gave it and a 1-based line (0 when not tied to a line).
public struct CaptionLocation: Sendable, Hashable {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
}

/// A repair made while reading (a BOM removed, UTF-16 decoded, CRLF, a cue clamped): `file:line: what`.
public struct CaptionWarning: Sendable, Hashable, CustomStringConvertible {
    public var location: CaptionLocation
    public var message: String
    public init(_ location: CaptionLocation, _ message: String) {
        self.location = location
        self.message = message
    }
    public var description: String {
        location.line > 0 ? "\(location.file):\(location.line): \(message)" : "\(location.file): \(message)"
    }
}

/// A caption file that cannot be used, as one line: `file:line: reason`.
public struct CaptionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: CaptionLocation
    public var reason: String
    public init(_ location: CaptionLocation, _ reason: String) {
        self.location = location
        self.reason = reason
    }
    public init(file: String, line: Int, _ reason: String) {
        self.init(CaptionLocation(file: file, line: line), reason)
    }
    public var description: String {
        location.line > 0 ? "\(location.file):\(location.line): \(reason)" : "\(location.file): \(reason)"
    }
}

/// Caps on what one caption file may hold; nothing read from a file sizes an allocation beyond them.
public struct CaptionLimits: Sendable, Equatable {
    /// Largest file accepted, in bytes (a feature film's SRT is ~100 KB).
    public var maxBytes: Int = 16 << 20
    /// Most cues kept.
    public var maxCues: Int = 200_000
    /// Most characters of text in one cue.
    public var maxCueCharacters: Int = 16_384
    /// Deepest XML element nesting in TTML.
    public var maxDepth: Int = 64
    public init() {}
}

/// The cues of one caption file after parsing and repair, with what was repaired.
public struct CaptionTrack: Sendable, Equatable {
    public var format: CaptionFormat
    /// Cues sorted by start time (stable); may overlap (all three formats allow it).
    public var cues: [Cue]
    public var warnings: [CaptionWarning]
    /// `xml:lang` of a TTML document or a WebVTT `Language:` header, when the file names one.
    public var declaredLanguage: String?

    public init(format: CaptionFormat, cues: [Cue], warnings: [CaptionWarning] = [], declaredLanguage: String? = nil) {
        self.format = format
        self.cues = cues
        self.warnings = warnings
        self.declaredLanguage = declaredLanguage
    }
}
