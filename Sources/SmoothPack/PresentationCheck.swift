internal import Foundation
internal import ISOBMFF
internal import SmoothManifest

/// The muxer's self-checks before anything is published (docs/format.md §8): every media file passes the
/// ISMV checker, and every `c` time of the client manifest is a `tfra` time of every file of its stream.
enum PresentationCheck {
    static func verify(folder: URL, manifests: PresentationManifests, tracks: [ManifestTrack], source: String) throws {
        var problems: [String] = []
        for track in tracks {
            let path = folder.appendingPathComponent(track.source).path
            let violations = IsmvChecker.check(path: path)
            problems += violations.prefix(3).map { "\(track.source): \($0)" }
            do {
                let file = try FileSource(path: path)
                let index = try RandomAccessIndex.load(from: file)
                let times = index.table(trackID: UInt32(track.trackID))?.entries.map { Int64($0.time) } ?? []
                let name = track.trackName ?? track.kind.rawValue
                let expected = manifests.client.streams.first { $0.name == name }?.chunks.map(\.time) ?? []
                if times != expected {
                    problems.append("\(track.source): tfra times differ from the manifest's c times")
                }
            } catch {
                problems.append("\(track.source): \(error)")
            }
        }
        try report(problems, source: source)
    }

    /// The same check for text tracks (`.ismt`): each file's `tfra` times are its StreamIndex's `c` times.
    static func verifyText(folder: URL, manifests: PresentationManifests, tracks: [TextManifestTrack], source: String) throws {
        var problems: [String] = []
        for track in tracks {
            do {
                let file = try FileSource(path: folder.appendingPathComponent(track.source).path)
                let index = try RandomAccessIndex.load(from: file)
                let times = index.table(trackID: UInt32(track.trackID))?.entries.map { Int64($0.time) } ?? []
                let expected = manifests.client.streams.first { $0.name == track.trackName }?.chunks.map(\.time) ?? []
                if times != expected { problems.append("\(track.source): tfra times differ from the manifest's c times") }
            } catch {
                problems.append("\(track.source): \(error)")
            }
        }
        try report(problems, source: source)
    }

    private static func report(_ problems: [String], source: String) throws {
        if let first = problems.first {
            let more = problems.count > 1 ? " (+\(problems.count - 1) more)" : ""
            throw PipelineError(source: source, stage: .check, message: first + more)
        }
    }
}
