internal import MediaCore

/// What the text muxer wrote for one caption/subtitle track (`.ismt`): the input of
/// ``ManifestBuilder/addingText(_:to:)``. docs/format.md "Text track".
public struct TextManifestTrack: Sendable, Equatable {
    /// `CAPT` (captions, including SDH) or `SUBT` (subtitles, including forced ones).
    public enum Subtype: String, Sendable, Equatable, Codable {
        case captions = "CAPT"
        case subtitles = "SUBT"
    }

    /// Nominal bitrate: QualityLevel `Bitrate` / `.ism` `systemBitrate` (text is tiny; a fixed small value).
    public var bitrate: Int
    /// `.ismt` file name relative to the `.ism`.
    public var source: String
    /// `track_ID` inside `source`.
    public var trackID: Int
    /// Stream name (`Fragments(<name>=…)`), unique in the presentation, e.g. `textstream_eng`.
    public var trackName: String
    /// ISO 639-2 language (`eng`).
    public var language: String
    public var subtype: Subtype
    /// The fragments as written (the presentation's video grid).
    public var fragments: [FragmentTiming]

    public init(bitrate: Int, source: String, trackID: Int, trackName: String, language: String, subtype: Subtype,
                fragments: [FragmentTiming]) {
        self.bitrate = bitrate
        self.source = source
        self.trackID = trackID
        self.trackName = trackName
        self.language = language
        self.subtype = subtype
        self.fragments = fragments
    }
}

extension ManifestBuilder {
    /// `manifests` with one `<textstream>` per text track in the `.ism` and one `StreamIndex Type="text"`
    /// (`Subtype`, `FourCC="TTML"`, `Language`, one QualityLevel, the track's `c` list) per track in the `.ismc`,
    /// after the audio and video streams. Names must be unique across the presentation.
    public func addingText(_ text: [TextManifestTrack], to manifests: PresentationManifests) throws(ManifestError)
        -> PresentationManifests
    {
        var result = manifests
        var names = Set(manifests.client.streams.map(\.name))
        for (i, t) in text.enumerated() {
            let context = "text[\(i)] \(t.source)"
            guard t.bitrate > 0 else { throw ManifestError(.invalidTrack, context, "bitrate \(t.bitrate) must be positive") }
            guard t.trackID > 0 && t.trackID <= Int(UInt32.max) else {
                throw ManifestError(.invalidTrack, context, "trackID \(t.trackID) is not a valid track_ID")
            }
            try Self.checkFileName(t.source, context: context)
            guard Self.isValidStreamName(t.trackName) else {
                throw ManifestError(.invalidName, context, "track name \(t.trackName) must match ALPHA *(ALPHA / DIGIT / \"_\" / \"-\")")
            }
            guard names.insert(t.trackName).inserted else {
                throw ManifestError(.duplicateStreamName, context, "stream name \(t.trackName) is used twice")
            }
            guard t.language.utf8.count == 3, t.language.utf8.allSatisfy({ (0x61...0x7A).contains($0) }) else {
                throw ManifestError(.invalidTrack, context, "language \(t.language) is not a lower-case ISO 639-2 code")
            }
            try Self.checkTiming(t.fragments, context: context)
            result.server.tracks.append(ServerManifest.Track(
                kind: .text, src: t.source, systemBitrate: t.bitrate, systemLanguage: t.language, trackID: t.trackID,
                trackName: t.trackName))
            result.client.streams.append(StreamIndex(
                type: .text, subtype: t.subtype.rawValue, name: t.trackName, language: t.language,
                timeScale: Clock.timescale,
                qualityLevels: [QualityLevel(index: 0, bitrate: t.bitrate, fourCC: "TTML", codecPrivateData: [])],
                chunks: t.fragments))
        }
        result.client.duration = result.client.streams.map(\.end).max() ?? 0
        return result
    }
}
