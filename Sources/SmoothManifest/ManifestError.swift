/// A typed error from building, writing or reading Smooth Streaming manifests and upload manifests.
///
/// `code` says what kind of problem it is (tests and callers switch on it); `context` names where
/// (e.g. `StreamIndex[video]/QualityLevel[1]` or an XML byte offset); `detail` is one human sentence.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem.
    public enum Code: Sendable, Equatable {
        // Building (`ManifestBuilder`)
        /// No tracks were given.
        case noTracks
        /// A track has no fragments.
        case noFragments
        /// A field of a `ManifestTrack` is out of range (bitrate, trackID, file name, language…).
        case invalidTrack
        /// `kind` disagrees with the codec configuration (video kind with an audio config or vice versa).
        case kindMismatch
        /// H.264 SPS/PPS cannot form `00000001 SPS 00000001 PPS` (wrong NAL types, embedded start codes, empty).
        case invalidCodecPrivateData
        /// The AAC AudioSpecificConfig is not a 2-byte AAC-LC config agreeing with sample rate and channels.
        case invalidAudioConfig
        /// Two QualityLevels of one StreamIndex share a bitrate.
        case duplicateBitrate
        /// QualityLevels of one StreamIndex do not have identical fragment times and durations.
        case misalignedFragments
        /// A fragment time is negative, a duration is not positive, fragments overlap or go backwards.
        case invalidFragmentTiming
        /// A presentation or stream name does not match the Smooth Streaming name grammar.
        case invalidName
        /// Tracks grouped into one StreamIndex disagree on language or codec parameters.
        case inconsistentStream
        /// Two StreamIndexes would get the same `Name`.
        case duplicateStreamName

        // Reading (`ServerManifest(xml:)`, `ClientManifest(xml:)`)
        /// The document exceeds a `ReadLimits` cap (bytes, depth, elements, attributes, chunks).
        case limitExceeded
        /// The bytes are not UTF-8 / UTF-16 text.
        case unsupportedEncoding
        /// The document is not well-formed XML (or uses a DTD, which is refused).
        case malformedXML
        /// The root or a child element is not what the manifest format expects.
        case unexpectedElement
        /// A required attribute is missing.
        case missingAttribute
        /// An attribute value cannot be parsed or is out of range.
        case invalidAttribute
        /// A count attribute (`Chunks`, `QualityLevels`) disagrees with the children.
        case countMismatch

        // Upload manifest
        /// A file could not be listed or read.
        case fileSystem
    }

    /// What kind of problem.
    public var code: Code
    /// Where: a model path or an XML location.
    public var context: String
    /// Explanation for people.
    public var detail: String

    /// Creates an error.
    public init(_ code: Code, _ context: String = "", _ detail: String = "") {
        self.code = code
        self.context = context
        self.detail = detail
    }

    /// `"<code> in <context>: <detail>"`.
    public var description: String {
        context.isEmpty ? "\(code): \(detail)" : "\(code) in \(context): \(detail)"
    }
}
