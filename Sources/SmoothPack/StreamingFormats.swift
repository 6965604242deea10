internal import Foundation
internal import ISOBMFF
internal import SmoothManifest

/// Which manifests a presentation gets beside its media files (`--formats`). Smooth Streaming is
/// always written: the `.ism` is what the pipeline reads back and what the upload manifest points at.
public enum StreamingFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// `<stem>.ism` + `<stem>.ismc`.
    case smooth
    /// `<stem>.mpd` over byte ranges of the media files.
    case dash
    /// `<stem>.m3u8` + one media playlist per media file, over byte ranges of the media files.
    case hls

    /// Parses `smooth,dash,hls` (any order, no repeats); nil names the first word that is not a format.
    public static func parseList(_ text: String) -> Result<Set<StreamingFormat>, StreamingFormatError> {
        var formats: Set<StreamingFormat> = []
        for word in text.split(separator: ",", omittingEmptySubsequences: false) {
            let w = word.trimmingCharacters(in: .whitespaces).lowercased()
            guard let f = StreamingFormat(rawValue: w) else { return .failure(.unknown(w)) }
            guard formats.insert(f).inserted else { return .failure(.repeated(w)) }
        }
        guard formats.contains(.smooth) else { return .failure(.smoothMissing) }
        return .success(formats)
    }
}

/// Why a `--formats` list was refused.
public enum StreamingFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknown(String)
    case repeated(String)
    case smoothMissing

    public var description: String {
        switch self {
        case .unknown(let w): "\"\(w)\" is not a format (smooth, dash, hls)"
        case .repeated(let w): "\(w) is listed twice"
        case .smoothMissing: "smooth is always written; list it (e.g. smooth,dash,hls)"
        }
    }
}

/// The DASH/HLS step of the Describe stage: the MPD and the playlists from the same fragment index
/// the Smooth manifests were built from, written into the work folder.
enum StreamingManifests {
    static func segmented(_ track: ManifestTrack, _ index: FragmentIndex) -> SegmentedTrack {
        let start = index.fragments.first?.moofOffset ?? index.headerSize
        return SegmentedTrack(
            track: track, initialization: 0..<start,
            segments: index.fragments.map { $0.byteRange }, fileSize: index.totalBytes)
    }

    /// Writes `<stem>.mpd` and/or the `.m3u8` playlists for `formats`.
    static func write(_ tracks: [SegmentedTrack], stem: String, formats: Set<StreamingFormat>,
                      text: [TextRendition] = [], to work: URL, protection: MPDProtection? = nil) throws {
        var files: [(name: String, contents: String)] = []
        if formats.contains(.dash) {
            let mpd = MPDBuilder(presentation: stem, protection: protection)
            files.append((mpd.fileName, try mpd.build(tracks, text: text)))
        }
        if formats.contains(.hls) { files += try HLSPlaylistBuilder(presentation: stem).build(tracks, subtitles: text) }
        for f in files { try Data(f.contents.utf8).write(to: work.appendingPathComponent(f.name)) }
    }
}
