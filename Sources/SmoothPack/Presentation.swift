public import Foundation
public import Publish
public import MediaCore
public import Planning

/// One finished presentation: where it is, what it holds, and how players reach it.
public struct Presentation: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Encoded in this run.
        case created
        /// The same inputs were already published: nothing was done.
        case upToDate = "up-to-date"
    }

    /// The source it was made from.
    public var source: URL
    /// URL-safe stem (`<stem>.ism`).
    public var name: String
    /// Short hash of source bytes, resolved profile and smoothpack version.
    public var version: String
    /// Object key prefix relative to the output folder: `<stem>/<version>/`.
    public var prefix: String
    /// The presentation folder `<out>/<stem>/<version>/`.
    public var directory: URL
    /// Path players open, relative to the distribution root: `<prefix><stem>.ism/Manifest`.
    public var playbackPath: String
    public var status: Status
    /// Presentation length in seconds.
    public var duration: Double
    public var renditions: [RenditionOutput]
    /// The upload manifest written beside the files.
    public var uploadManifest: UploadManifest
    /// Caption tracks carried (also listed in `renditions` as kind `text`).
    public var captions: [CaptionOutput] = []
    /// Subtitle streams of the source that were not carried, with the reason.
    public var captionsNotCarried: [CaptionNotCarried] = []
    /// Key IDs of an encrypted presentation (never the keys); empty when clear.
    public var keyIDs: [String] = []
    /// What the caller should know about this output (e.g. why HLS was not written).
    public var notes: [String] = []
    /// Quality of the video rungs (`quality.json`), when measured in this run.
    public var quality: QualityReport? = nil
    /// The per-title decision, when the ladder was chosen per title in this run.
    public var perTitle: PerTitleDecision? = nil

    /// The server manifest's URL on disk.
    public var serverManifest: URL { directory.appendingPathComponent("\(name).ism") }
}

/// One written media file.
public struct RenditionOutput: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case video, audio, text }
    public var kind: Kind
    /// File name inside the presentation folder.
    public var file: String
    /// Nominal bitrate: the QualityLevel `Bitrate`, in bits per second.
    public var bitrate: Int
    /// Measured average bitrate of the sample data, in bits per second.
    public var measuredBitrate: Int
    public var width: Int?
    public var height: Int?
    public var trackName: String
    public var language: String?
    public var fragments: Int
    public var bytes: Int64
}

/// What the packager reports while it works.
public enum PackagerEvent: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable {
        case hashing, probing, encoding, describing, checking, publishing
    }
    /// A new phase began for `source`.
    case phase(source: URL, Phase)
    /// Encoding progress for `source`.
    case progress(source: URL, fraction: Double?, framesPerSecond: Double, mediaTime: Double)
    /// A note worth logging (a dropped rung, a chosen frame rate).
    case note(source: URL, String)
}
