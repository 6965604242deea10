public import Foundation
public import Planning
public import SmoothManifest
public import Protection
internal import FFmpeg
internal import Platform

/// Which encoding profile a ``Packager`` uses.
public enum ProfileSelection: Sendable, Equatable {
    /// A profile by name: `<profiles dir>/<name>.yaml`, else a built-in (`default`, `fast`, `bench-4rung`).
    case named(String)
    /// A profile file.
    case file(String)
    /// A profile value built in code.
    case profile(Profile)
}

/// Settings shared by every source a ``Packager`` encodes.
public struct PackagerOptions: Sendable, Equatable {
    /// Where named profiles are looked up; nil searches the usual places (see `ProfilesDirectory.locate`).
    public var profilesDirectory: String?
    /// Client manifest version: `.v2_0` (no `r`, widest support) or `.v2_2` (`r` repeat coding).
    public var manifestVersion: ClientManifestVersion
    /// Domains allowed by `clientaccesspolicy.xml` and `crossdomain.xml` at the output root.
    public var allowedDomains: [String]
    /// Sources beyond these are refused before any work.
    public var limits: SourceLimits
    /// The root of the distribution, where the policy files go; nil means the folder given to `encode`.
    /// The watch daemon, which mirrors inbox subfolders under `<out>`, sets it to `<out>`.
    public var distributionRoot: URL?
    /// Manifests written beside the media files (default all three; Smooth is always written).
    public var formats: Set<StreamingFormat>
    /// Caption files and sidecar discovery (set after `init`; default: sidecars beside each source).
    public var captions = CaptionOptions()
    /// Common Encryption of every media file, signalled for PlayReady (docs/format.md §12); nil writes clear
    /// files. HLS playlists are not written for encrypted presentations (they would need `cbcs`/FairPlay).
    public var protection: ProtectionSettings? = nil
    /// Overrides of the profile's `quality` and `ladder` keys (`encode --quality`, `--ladder`); nil keeps the profile's.
    public var measureQuality: Bool?
    public var ladder: LadderMode?
    /// An FFmpeg with libvmaf for VMAF (with quality measurement); nil looks for one (``VMAFScorer/locate(explicit:)``).
    public var vmafFFmpeg: String?
    /// Score VMAF when quality is measured and a scorer is found (default on).
    public var vmaf = true
    /// List report.html and quality.json in upload-manifest.json (published with the media); default off.
    public var publishReport = false

    public init(profilesDirectory: String? = nil, manifestVersion: ClientManifestVersion = .v2_0,
                allowedDomains: [String] = ["*"], limits: SourceLimits = .init(), distributionRoot: URL? = nil,
                formats: Set<StreamingFormat> = Set(StreamingFormat.allCases)) {
        self.formats = formats.union([.smooth])
        self.profilesDirectory = profilesDirectory
        self.manifestVersion = manifestVersion
        self.allowedDomains = allowedDomains
        self.limits = limits
        self.distributionRoot = distributionRoot
    }
}

/// Caps on what a source may be; a source beyond one is refused with a clear reason (never transient).
public struct SourceLimits: Sendable, Equatable {
    /// Largest coded width and height (default 8192x4320, a little above 8K UHD).
    public var maxWidth: Int
    public var maxHeight: Int
    /// Longest duration in seconds (default 24 hours).
    public var maxDuration: Double
    /// Largest file in bytes (default 500 GB).
    public var maxFileSize: Int64
    /// Most streams of any kind in the container (default 64).
    public var maxStreams: Int

    public init(maxWidth: Int = 8192, maxHeight: Int = 4320, maxDuration: Double = 24 * 3600,
                maxFileSize: Int64 = 500_000_000_000, maxStreams: Int = 64) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxDuration = maxDuration
        self.maxFileSize = maxFileSize
        self.maxStreams = maxStreams
    }
}

/// The library entry point: turns a source file into a published Smooth Streaming presentation.
///
/// ```swift
/// let packager = try Packager(profile: .named("default"))
/// let presentation = try await packager.encode(source: url, into: outDir)
/// print(presentation.playbackPath)   // clip/3f2a9c0d1e4b/clip.ism/Manifest
/// ```
///
/// The CLI's `encode`, the `watch` daemon and build scripts all call this; none repeats the pipeline.
public final class Packager: Sendable {
    /// The resolved profile.
    public let profile: Profile
    public let options: PackagerOptions

    /// Resolves the profile now, so a bad profile fails before any source is touched.
    public init(profile: ProfileSelection = .named("default"), options: PackagerOptions = .init()) throws {
        self.options = options
        var resolved: Profile
        switch profile {
        case .profile(let p):
            resolved = p
        case .file(let path):
            resolved = try Profile.load(contentsOf: path)
        case .named(let name):
            let dir = try options.profilesDirectory ?? ProfilesDirectory.locate()?.path
            resolved = try Profile.load(name, profilesDirectory: dir)
        }
        resolved.measureQuality = options.measureQuality ?? resolved.measureQuality
        resolved.ladder = options.ladder ?? resolved.ladder
        self.profile = resolved
        FFmpegLog.quiet()
    }

    /// Encodes `source` into `<outDir>/<stem>/<version>/`, or returns the existing presentation when the
    /// same inputs were already published. Progress and notes go to `onEvent` (from another thread).
    /// Throws ``PipelineError`` naming the source, or `CancellationError` when the task is cancelled;
    /// either way nothing partial is left under `outDir`.
    public func encode(source: URL, into outDir: URL,
                       onEvent: @escaping @Sendable (PackagerEvent) -> Void = { _ in }) async throws -> Presentation {
        let (source, out) = (source.standardizedFileURL, OutputFolder(root: outDir.standardizedFileURL))
        let (profile, options) = (profile, options)
        // FFmpeg calls block: the job gets a thread of its own instead of a cooperative-pool thread, and polls
        // the cancellation check between frames.
        return try await Blocking.run("encode") { check in
            try EncodeJob(source: source, out: out, profile: profile, options: options, emit: onEvent,
                          isCancelled: { check.isCancelled }).run()
        }
    }

    /// Packages already encoded rung files (H.264 video and/or AAC-LC audio in MP4, MOV, MKV, TS…) into
    /// `<outDir>/<name>/<version>/` without re-encoding. Each file with H.264 video becomes a video rung;
    /// audio comes from the first file with AAC-LC. Refuses rungs whose key frames are not aligned,
    /// naming the file and the time.
    public func package(files: [URL], into outDir: URL, name: String? = nil, fragmentDuration: Double = 2,
                        onEvent: @escaping @Sendable (PackagerEvent) -> Void = { _ in }) async throws -> Presentation {
        let inputs = files.map(\.standardizedFileURL)
        let stem = name.map { Naming.stem(for: URL(fileURLWithPath: $0 + ".x")) }
            ?? inputs.first.map { Naming.stem(for: $0) } ?? "presentation"
        let (out, options) = (OutputFolder(root: outDir.standardizedFileURL), options)
        return try await Blocking.run("package") { check in
            try PackageJob(inputs: inputs, stem: stem, out: out, options: options,
                           fragmentDuration: Int64(fragmentDuration * 1e7), emit: onEvent,
                           isCancelled: { check.isCancelled }).run()
        }
    }

    /// Encodes `source` and exposes progress as an `AsyncSequence` of events; the stream finishes when
    /// the encode does, and ``EncodeRun/presentation`` gives the result.
    public func encodeWithProgress(source: URL, into outDir: URL) -> EncodeRun {
        let (stream, continuation) = AsyncStream<PackagerEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        let task = Task {
            defer { continuation.finish() }
            return try await encode(source: source, into: outDir, onEvent: { continuation.yield($0) })
        }
        return EncodeRun(events: stream, task: task)
    }
}

extension Packager {
    /// Removes `.tmp-<pid>-*` work folders in `outDir` left by processes that no longer run (a crash or
    /// `kill -9`). ``encode(source:into:onEvent:)`` does this itself before it starts work, but not when the
    /// presentation turns out to be published already; a daemon calls this at start for the folders its
    /// interrupted jobs wrote into. Folders of live processes are left alone.
    public static func removeStaleWorkFolders(in outDir: URL) {
        OutputFolder(root: outDir.standardizedFileURL).removeStaleWorkFolders()
    }
}

/// A running encode: its events as they happen, and its result.
public struct EncodeRun: Sendable {
    /// Phases, progress and notes, in order; finishes when the encode ends.
    public let events: AsyncStream<PackagerEvent>
    let task: Task<Presentation, any Error>

    /// Waits for the presentation (or the error).
    public var presentation: Presentation {
        get async throws { try await task.value }
    }

    /// Stops the encode; nothing partial is left behind.
    public func cancel() { task.cancel() }
}

