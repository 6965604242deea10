internal import ISOBMFF
public import Logging
internal import NIOConcurrencyHelpers
internal import NIOCore
public import SmoothManifest

/// Resolves Smooth Streaming requests against a folder the way CloudFront (Smooth Streaming enabled) or IIS
/// do (format sheet §1.7, §5), independent of HTTP: the ``OriginResponder`` and the split-tree writer
/// (``StaticTreeWriter``) both go through it, so the split files equal what the server sends.
///
/// - `…/x.ism/Manifest` → the bytes of the `.ismc` the `.ism` names (`clientManifestRelativePath`).
/// - `…/x.ism/QualityLevels(B)/Fragments(name=T)` → the `.ism` track with `systemBitrate == B` and name
///   `name` selects file and track; that file's `tfra` entry with time exactly `T` gives the `moof` offset;
///   the answer is that `moof` and the `mdat` after it, read positionally (never the whole file).
///   `FragmentInfo(name=T)` gives the `moof` alone; `RawFragments`/`KeyFrames` are not served (404).
/// - any other path → the file under the root, if it is one.
///
/// Parsed `.ism`/`.ismc` pairs and media indexes are cached in bounded LRU maps and reloaded when a file's
/// identity (device, inode, size, mtime) changes, checked at most every
/// ``OriginConfiguration/revalidateAfter``. Hot fragment bodies are kept in a byte-bounded LRU. A file that
/// fails to load is cached as a failure too, so a corrupt file is logged once (at `error`) and then answered
/// 502 cheaply until it changes.
public final class SmoothOrigin: Sendable {
    /// The configuration in force.
    public let configuration: OriginConfiguration
    /// The served folder with every symlink resolved; no file outside it is ever opened.
    public let rootPath: String
    let logger: Logger
    private let presentations: LRUCache<String, Cached<LoadedPresentation>>
    private let mediaFiles: LRUCache<String, Cached<MediaFile>>
    private let fragmentBodies: LRUCache<FragmentKey, ByteBuffer>

    /// Largest `.ism` read.
    static let maxServerManifestBytes: Int64 = 4 << 20
    /// Largest `.ismc` read (the reader's own default cap).
    static let maxClientManifestBytes: Int64 = Int64(ReadLimits().maxBytes)
    /// Largest fragment sent from memory; bigger ones are streamed from the file.
    static let maxBufferedFragment: Int64 = 16 << 20

    /// Opens the root; throws ``OriginError/io(_:)`` if it is not a readable directory.
    public init(
        configuration: OriginConfiguration, logger: Logger = Logger(label: "smoothpack.origin")
    ) throws(OriginError) {
        guard let real = FileSystem.realPath(configuration.root), FileSystem.identity(real)?.isDirectory == true else {
            throw .io("\(configuration.root) is not a directory")
        }
        self.configuration = configuration
        self.rootPath = real
        self.logger = logger
        self.presentations = LRUCache(capacity: configuration.presentationCacheCapacity)
        self.mediaFiles = LRUCache(capacity: configuration.mediaCacheCapacity)
        self.fragmentBodies = LRUCache(
            capacity: max(1, configuration.fragmentCacheBytes / 1024),
            maxCost: configuration.fragmentCacheBytes)
    }

    // MARK: Public, HTTP-independent API (split tree, tests)

    /// The `.ismc` bytes served for `<presentation>/Manifest`; `presentation` is the `.ism` path relative to
    /// the root, e.g. `clip/1a2b3c/clip.ism`.
    public func manifestBytes(presentation: String) throws(OriginError) -> [UInt8] {
        let p = try requirePresentation(presentation)
        return Array(p.clientManifestBytes.readableBytesView)
    }

    /// The parsed `.ismc` of a presentation (what its `Manifest` lists).
    public func clientManifest(presentation: String) throws(OriginError) -> ClientManifest {
        let p = try requirePresentation(presentation)
        do { return try ClientManifest(xml: p.clientManifestBytes.readableBytesView) } catch {
            throw .badGateway("\(p.clientManifestPath): \(error)")
        }
    }

    /// The body served for `<presentation>/QualityLevels(B)/Fragments(name=T)`.
    public func fragmentBytes(presentation: String, request: FragmentRequest) throws(OriginError) -> [UInt8] {
        let p = try requirePresentation(presentation)
        let location = try locate(request, in: p)
        return Array(try body(of: location).readableBytesView)
    }

    /// Relative paths of the `.ism` files under the root (hidden folders skipped, at most `limit`), sorted.
    public func presentationPaths(limit: Int = 10_000, maxDepth: Int = 12) -> [String] {
        var found: [String] = []
        var queue: [(relative: String, depth: Int)] = [("", 0)]
        while let (dir, depth) = queue.popLast(), found.count < limit {
            let absolute = dir.isEmpty ? rootPath : rootPath + "/" + dir
            for name in FileSystem.entries(of: absolute) where !name.hasPrefix(".") {
                let relative = dir.isEmpty ? name : dir + "/" + name
                guard let real = FileSystem.realPath(rootPath + "/" + relative),
                    FileSystem.isInside(real, root: rootPath),
                    let id = FileSystem.identity(real)
                else { continue }
                if id.isRegularFile && name.hasSuffix(".ism") {
                    found.append(relative)
                } else if id.isDirectory && depth < maxDepth && !name.hasSuffix(".ism") {
                    queue.append((relative, depth + 1))
                }
            }
        }
        return found.sorted()
    }

    // MARK: Resolution

    /// What a GET of `path` sends.
    func resolve(_ path: RequestPath) throws(OriginError) -> Payload {
        let s = path.segments
        if let i = s.firstIndex(where: { $0.hasSuffix(".ism") }), i < s.count - 1,
            let p = try presentation(s[...i].joined(separator: "/"))
        {
            let rest = s[(i + 1)...]
            if rest.count == 1 && rest.first == "Manifest" {
                return Payload(
                    source: .buffer(p.clientManifestBytes), length: Int64(p.clientManifestBytes.readableBytes),
                    contentType: ContentTypes.manifest, cacheControl: configuration.manifestCacheControl,
                    etag: p.clientIdentity.tag(offset: 0, length: p.clientIdentity.size))
            }
            if let first = rest.first, first.hasPrefix("QualityLevels") {
                guard let request = FragmentRequest(path: rest.joined(separator: "/")) else {
                    throw .badRequest("not QualityLevels(<bitrate>)/Fragments(<track>=<time>)")
                }
                let location = try locate(request, in: p)
                return Payload(
                    source: .fragment(location), length: Int64(location.range.count),
                    contentType: ContentTypes.fragment, cacheControl: configuration.fragmentCacheControl,
                    etag: location.media.identity.tag(
                        offset: location.range.lowerBound,
                        length: Int64(location.range.count)))
            }
            throw .notFound("not a Smooth Streaming request")
        }
        return try staticFile(s)
    }

    private func requirePresentation(_ relative: String) throws(OriginError) -> LoadedPresentation {
        let parsed = RequestPath.parse("/" + relative, maxLength: .max)
        guard case .success(let path) = parsed, path.segments.last?.hasSuffix(".ism") == true else {
            throw .notFound("\(relative) is not a presentation path")
        }
        guard let p = try presentation(path.segments.joined(separator: "/")) else {
            throw .notFound("\(relative) is a directory")
        }
        return p
    }

    /// The parsed presentation whose `.ism` is at `relative`; nil when that path is a directory (a split tree,
    /// served as static files).
    private func presentation(_ relative: String) throws(OriginError) -> LoadedPresentation? {
        let path = rootPath + "/" + relative
        let now = ContinuousClock.now
        let cached = presentations.value(for: relative)
        if let cached, now - cached.checkedAt < configuration.revalidateAfter { return try cached.value.get() }
        guard let id = FileSystem.identity(path) else {
            presentations.removeValue(for: relative)
            throw .notFound("no presentation \(relative)")
        }
        if id.isDirectory { return nil }
        guard id.isRegularFile else { throw .notFound("\(relative) is not a file") }
        if let cached, cached.identities == [Optional(id)] + cached.dependencies.map(FileSystem.identity) {
            presentations.set(cached.refreshed(now), for: relative)
            return try cached.value.get()
        }
        let loaded = loadPresentation(relative: relative, path: path, identity: id)
        if case .failure(let e) = loaded.value {
            // A path leading outside the root is not cached (cheap to find again); a broken presentation is,
            // so that it is logged once per change of its files.
            if case .notFound = e { throw e }
            logger.error("cannot serve presentation \(relative): \(e)")
        }
        presentations.set(loaded, for: relative)
        return try loaded.value.get()
    }

    private func loadPresentation(relative: String, path: String, identity: FileIdentity) -> Cached<LoadedPresentation>
    {
        let now = ContinuousClock.now
        func fail(_ e: OriginError, _ deps: [String] = []) -> Cached<LoadedPresentation> {
            Cached(
                value: .failure(e), identities: [identity] + deps.map(FileSystem.identity), dependencies: deps,
                checkedAt: now)
        }
        guard let real = FileSystem.realPath(path), FileSystem.isInside(real, root: rootPath) else {
            return fail(.notFound("\(relative) leads outside the root"))
        }
        let ismBytes: [UInt8]
        do { ismBytes = try Self.readSmallFile(real, limit: Self.maxServerManifestBytes) } catch { return fail(error) }
        let manifest: ServerManifest
        do { manifest = try ServerManifest(xml: ismBytes) } catch { return fail(.badGateway("\(relative): \(error)")) }
        guard let clientRelative = manifest.clientManifestRelativePath else {
            return fail(.badGateway("\(relative) has no clientManifestRelativePath"))
        }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        guard Self.isSafeRelative(clientRelative) else {
            return fail(.badGateway("\(relative): clientManifestRelativePath \(clientRelative) leaves the folder"))
        }
        let clientPath = directory + "/" + clientRelative
        guard let clientReal = FileSystem.realPath(clientPath),
            let clientIdentity = FileSystem.identity(clientReal), clientIdentity.isRegularFile
        else {
            return fail(.badGateway("\(relative): client manifest \(clientRelative) is missing"), [clientPath])
        }
        // A symlink out of the root is refused like every other path leading outside: 404, never 502 (the
        // answer must not tell a broken presentation from a file that is not served).
        guard FileSystem.isInside(clientReal, root: rootPath) else {
            return fail(.notFound("\(relative): client manifest \(clientRelative) leads outside the root"))
        }
        let clientBytes: [UInt8]
        do { clientBytes = try Self.readSmallFile(clientReal, limit: Self.maxClientManifestBytes) } catch {
            return fail(error, [clientPath])
        }
        let p = LoadedPresentation(
            relativePath: relative, directory: directory, manifest: manifest, clientManifestPath: clientPath,
            clientManifestBytes: ByteBuffer(bytes: clientBytes), clientIdentity: clientIdentity)
        return Cached(
            value: .success(p), identities: [identity, clientIdentity], dependencies: [clientPath], checkedAt: now)
    }

    /// Finds the fragment a request names: track through the `.ism`, time through the file's `tfra`.
    private func locate(_ request: FragmentRequest, in p: LoadedPresentation) throws(OriginError) -> FragmentLocation {
        guard let track = p.manifest.track(bitrate: request.bitrate, name: request.streamName) else {
            throw .notFound("no quality level \(request.bitrate) of \(request.streamName) in \(p.relativePath)")
        }
        guard request.noun == .fragments || request.noun == .fragmentInfo else {
            throw .notFound("\(request.noun.rawValue) requests are not served")
        }
        let media = try mediaFile(track.src, of: p)
        let trackID = UInt32(truncatingIfNeeded: track.trackID)
        guard media.index.table(trackID: trackID) != nil else {
            throw .badGateway("\(media.path) has no tfra for track \(track.trackID)")
        }
        guard request.time >= 0, let entry = media.index.entry(trackID: trackID, time: UInt64(request.time)) else {
            throw .notFound("no fragment at \(request.time) in \(track.src)")
        }
        let range = try media.fragmentRange(moofOffset: Int64(truncatingIfNeeded: entry.moofOffset), logger: logger)
        if request.noun == .fragmentInfo {
            do {
                let moof = try media.source.boxHeader(at: range.lowerBound)
                return FragmentLocation(media: media, range: moof.offset..<moof.end)
            } catch { throw .badGateway("\(media.path): \(error)") }
        }
        return FragmentLocation(media: media, range: range)
    }

    /// The open, indexed media file `src` of a presentation.
    private func mediaFile(_ src: String, of p: LoadedPresentation) throws(OriginError) -> MediaFile {
        guard Self.isSafeRelative(src) else { throw .notFound("\(p.relativePath): src \(src) leaves the folder") }
        let path = p.directory + "/" + src
        let now = ContinuousClock.now
        let cached = mediaFiles.value(for: path)
        if let cached, now - cached.checkedAt < configuration.revalidateAfter { return try cached.value.get() }
        let id = FileSystem.identity(path)
        if let cached, cached.identities == [id] {
            mediaFiles.set(cached.refreshed(now), for: path)
            return try cached.value.get()
        }
        let loaded: Cached<MediaFile>
        if let id, id.isRegularFile {
            loaded = loadMedia(path: path, identity: id, now: now)
        } else {
            loaded = Cached(
                value: .failure(.badGateway("\(path) is missing")), identities: [id], dependencies: [], checkedAt: now)
        }
        if case .failure(let e) = loaded.value { logger.error("cannot serve fragments of \(path): \(e)") }
        mediaFiles.set(loaded, for: path)
        return try loaded.value.get()
    }

    private func loadMedia(path: String, identity: FileIdentity, now: ContinuousClock.Instant) -> Cached<MediaFile> {
        func fail(_ e: OriginError) -> Cached<MediaFile> {
            Cached(value: .failure(e), identities: [identity], dependencies: [], checkedAt: now)
        }
        guard let real = FileSystem.realPath(path), FileSystem.isInside(real, root: rootPath) else {
            return fail(.notFound("\(path) leads outside the root"))
        }
        do {
            let source = try FileSource(path: real)
            let index = try RandomAccessIndex.load(from: source)
            return Cached(
                value: .success(MediaFile(path: path, source: source, identity: identity, index: index)),
                identities: [identity], dependencies: [], checkedAt: now)
        } catch {
            return fail(.badGateway("\(path): \(error)"))
        }
    }

    /// The bytes of a located fragment, from the fragment cache or one positional read.
    func body(of location: FragmentLocation) throws(OriginError) -> ByteBuffer {
        let key = FragmentKey(identity: location.media.identity, offset: location.range.lowerBound)
        if let hit = fragmentBodies.value(for: key), hit.readableBytes == location.range.count { return hit }
        let bytes: [UInt8]
        do { bytes = try location.media.source.read(at: location.range.lowerBound, count: location.range.count) } catch
        {
            logger.error("cannot read fragment of \(location.media.path): \(error)")
            throw .badGateway("\(location.media.path): \(error)")
        }
        let buffer = ByteBuffer(bytes: bytes)
        fragmentBodies.set(buffer, for: key, cost: bytes.count)
        return buffer
    }

    private func staticFile(_ segments: [String]) throws(OriginError) -> Payload {
        let path = rootPath + "/" + segments.joined(separator: "/")
        guard let real = FileSystem.realPath(path), FileSystem.isInside(real, root: rootPath),
            let id = FileSystem.identity(real), id.isRegularFile
        else {
            throw .notFound("no file \(segments.joined(separator: "/"))")
        }
        let source: FileSource
        do { source = try FileSource(path: real) } catch {
            throw .notFound("cannot open \(segments.joined(separator: "/"))")
        }
        let kind = ContentTypes.classify(segments)
        let cache =
            switch kind {
            case .splitManifest: configuration.manifestCacheControl
            case .splitFragment: configuration.fragmentCacheControl
            case .other: configuration.staticCacheControl
            }
        return Payload(
            source: .file(source), length: source.size, contentType: ContentTypes.type(for: segments, kind: kind),
            cacheControl: cache, etag: id.tag(offset: 0, length: source.size))
    }

    // MARK: Helpers

    /// A path relative to the `.ism`'s folder that stays inside it lexically (no `/` start, no `..`).
    static func isSafeRelative(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix("/") && !s.utf8.contains(0)
            && !s.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0.isEmpty }
    }

    static func readSmallFile(_ path: String, limit: Int64) throws(OriginError) -> [UInt8] {
        do {
            let source = try FileSource(path: path)
            guard source.size <= limit else { throw OriginError.badGateway("\(path) is larger than \(limit) bytes") }
            return try source.read(at: 0, count: Int(source.size))
        } catch let e as OriginError {
            throw e
        } catch {
            throw .badGateway("\(path): \(error)")
        }
    }
}

/// A cache slot: the loaded value or the failure, the identities it was loaded from, and when they were checked.
struct Cached<T: Sendable>: Sendable {
    var value: Result<T, OriginError>
    /// Identity of the main file followed by those of `dependencies`.
    var identities: [FileIdentity?]
    /// Further files the value was built from (the `.ismc` of an `.ism`).
    var dependencies: [String]
    var checkedAt: ContinuousClock.Instant

    func refreshed(_ now: ContinuousClock.Instant) -> Self {
        var c = self
        c.checkedAt = now
        return c
    }
}

/// A parsed `.ism` with its `.ismc` bytes.
final class LoadedPresentation: Sendable {
    let relativePath: String
    /// Folder of the `.ism` (lexical, under the root).
    let directory: String
    let manifest: ServerManifest
    let clientManifestPath: String
    let clientManifestBytes: ByteBuffer
    let clientIdentity: FileIdentity

    init(
        relativePath: String, directory: String, manifest: ServerManifest, clientManifestPath: String,
        clientManifestBytes: ByteBuffer, clientIdentity: FileIdentity
    ) {
        self.relativePath = relativePath
        self.directory = directory
        self.manifest = manifest
        self.clientManifestPath = clientManifestPath
        self.clientManifestBytes = clientManifestBytes
        self.clientIdentity = clientIdentity
    }
}

/// An open media file with its `tfra` index and the fragment byte ranges found so far.
final class MediaFile: Sendable {
    let path: String
    let source: FileSource
    let identity: FileIdentity
    let index: RandomAccessIndex
    private let ranges = NIOLockedValueBox<[Int64: Result<Range<Int64>, OriginError>]>([:])

    init(path: String, source: FileSource, identity: FileIdentity, index: RandomAccessIndex) {
        self.path = path
        self.source = source
        self.identity = identity
        self.index = index
    }

    /// The moof+mdat range at `moofOffset`, found once (two header reads) and remembered; a bad one is
    /// logged once.
    func fragmentRange(moofOffset: Int64, logger: Logger) throws(OriginError) -> Range<Int64> {
        if let known = ranges.withLockedValue({ $0[moofOffset] }) { return try known.get() }
        let result: Result<Range<Int64>, OriginError>
        do {
            let range = try source.fragmentRange(moofOffset: moofOffset)
            if Int64(range.count) > SmoothOrigin.maxBufferedFragment * 16 {
                result = .failure(.badGateway("\(path): fragment at \(moofOffset) of \(range.count) bytes"))
            } else {
                result = .success(range)
            }
        } catch {
            result = .failure(.badGateway("\(path): \(error)"))
        }
        if case .failure(let e) = result { logger.error("cannot serve fragment: \(e)") }
        ranges.withLockedValue { $0[moofOffset] = result }
        return try result.get()
    }
}

/// Where a requested fragment lies.
struct FragmentLocation: Sendable {
    let media: MediaFile
    let range: Range<Int64>
}

struct FragmentKey: Hashable, Sendable {
    var identity: FileIdentity
    var offset: Int64
}

/// What a GET sends: where the bytes come from and the headers that describe them.
struct Payload: Sendable {
    enum Source: Sendable {
        case buffer(ByteBuffer)
        case fragment(FragmentLocation)
        case file(FileSource)
    }

    var source: Source
    var length: Int64
    var contentType: String
    var cacheControl: String
    /// ETag without quotes.
    var etag: String
}
