/// A profile that cannot be found, read or accepted.
///
/// Its ``description`` is one line naming the file, the line when known, the key path and the reason,
/// e.g. `profiles/x.yaml:12: video.rungs[2].height: must be even, got 721`.
public struct ProfileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it (the CLI maps all of them to one exit code).
    public enum Kind: String, Sendable, Equatable, Codable {
        /// No profile of that name or path, or a profiles directory that does not exist.
        case notFound
        /// The file exists but could not be read or is not UTF-8.
        case unreadable
        /// The text is not well-formed YAML (including duplicate keys).
        case syntax
        /// A key the schema does not define.
        case unknownKey
        /// A required key is absent.
        case missingKey
        /// A value of the wrong YAML shape or type (a list where a number belongs…).
        case wrongType
        /// A value of the right type that is impossible (odd height, zero bitrate, unknown preset…).
        case invalidValue
    }

    public var kind: Kind
    /// The profile file as given, or `builtin:<name>` for an embedded profile.
    public var file: String
    /// Key path inside the document, e.g. `video.rungs[2].height`; empty for the whole document.
    public var keyPath: String
    /// 1-based line in the file, when known.
    public var line: Int?
    /// Why the value was rejected, in a few words.
    public var reason: String

    public init(kind: Kind, file: String, keyPath: String, line: Int? = nil, reason: String) {
        self.kind = kind
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.reason = reason
    }

    /// `file[:line]: keyPath: reason`, always a single line.
    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        let key = keyPath.isEmpty ? "(document)" : keyPath
        let text = "\(location): \(key): \(reason)"
        return String(text.map { $0.isNewline ? " " : $0 })
    }
}

/// A source that Plan cannot turn into a ladder.
public enum PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither a usable video stream (for a profile with a video section) nor a usable audio stream
    /// (for a profile with an audio section).
    case nothingToEncode(source: String, reason: String)

    /// One line naming the source and the reason.
    public var description: String {
        switch self {
        case let .nothingToEncode(source, reason):
            return "\(source): nothing to encode: \(reason)"
        }
    }
}
