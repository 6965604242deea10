internal import ISOBMFF
public import Logging
internal import NIOCore
internal import Platform
public import SmoothManifest
internal import SystemPackage
internal import Synchronization

/// Resolves Smooth Streaming requests against a folder the way CloudFront (Smooth Streaming enabled) or IIS
/// do (docs/format.md §1.7, §5), independent of HTTP: the ``OriginResponder`` and the split-tree writer
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
    /// The root every relative path is resolved under (``Platform/ConfinedRoot``).
    let confined: ConfinedRoot
    let logger: Logger
    private let presentations: LRUCache<String, Cached<LoadedPresentation>>
    private let mediaFiles: LRUCache<String, Cached<MediaFile>>
    private let fragmentBodies: LRUCache<FragmentKey, ByteBuffer>
    /// ``directFragment(target:)``'s memory: at most 32768 targets, 16 MiB (about 700 bytes each with its
    /// ``PreparedHead``).
    private let directTargets = LRUCache<String, DirectTarget>(capacity: 32768, maxCost: 16 << 20)
    /// ``directFile(target:)``'s memory: static files the router resolved, by request target (each holds the
    /// file open; at most 1024).
    private let directFiles = LRUCache<String, DirectFile>(capacity: 1024, maxCost: 1 << 20)
    /// Files waiting for, or under, a check in the background (``directFragment(target:)``).
    private let checks = Mutex(BackgroundChecks())
    /// Held while the presentation or media-file cache changes with the objects' ``CacheStanding``s.
    private let standings = Mutex(())
    /// Background checks finished (tests).
    let backgroundChecks = EventCount()
    /// Bodies this origin's server sent as file regions (`sendfile`), counted by its ``RegionSender``s.
    let regionsSent = EventCount()
    /// Requests answered by a ``DirectFragmentResponder`` without the router (the tests check the path is taken).
    let directAnswers = EventCount()
    /// Of those, the ones a ``RawRequestReader`` read and answered before NIO's HTTP parser.
    let rawAnswers = EventCount()
    /// Of those, whole `200`s written from a ``PreparedHead``.
    let preparedAnswers = EventCount()

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
        guard let confined = try? ConfinedRoot(root: FilePath(configuration.root)),
            (try? FileSystem.status(confined.root))?.isDirectory == true
        else {
            throw .io("\(configuration.root) is not a directory")
        }
        self.configuration = configuration
        self.confined = confined
        self.rootPath = confined.root.string
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
            for name in OriginFiles.entries(of: absolute) where !name.hasPrefix(".") {
                let relative = dir.isEmpty ? name : dir + "/" + name
                guard case .found(_, let id) = OriginFiles.locate(relative, under: confined) else { continue }
                if id.isRegularFile && name.hasSuffix(".ism") {
                    found.append(relative)
                } else if id.isDirectory && depth < maxDepth && !name.hasSuffix(".ism") {
                    queue.append((relative, depth + 1))
                }
            }
        }
        return found.sorted()
    }

    // MARK: Routes (async: file work runs on the thread pool of ``FileWork``)

    /// What a GET of `…/<stem>.ism/Manifest` sends: from memory when the presentation was checked within
    /// ``OriginConfiguration/revalidateAfter``, else resolved with file access off the request's thread.
    func manifest(_ path: RequestPath) async throws(OriginError) -> Payload {
        let s = path.segments
        if Self.firstPresentationIndex(s) == s.count - 2, let (p, _, _) = freshPresentation(s.dropLast()) {
            return manifestPayload(p)
        }
        return try await FileWork.run { () throws(OriginError) in try self.resolve(path) }
    }

    /// What a GET of `…/<stem>.ism/QualityLevels(B)/Fragments(name=T)` (or `FragmentInfo(…)`) sends: from
    /// memory when the presentation, the media file's index and the fragment's range are all known and fresh,
    /// else resolved with file access off the request's thread.
    func fragment(_ path: RequestPath) async throws(OriginError) -> Payload {
        if let answer = cachedFragment(path.segments) { return answer.payload }
        return try await FileWork.run { () throws(OriginError) in try self.resolve(path) }
    }

    /// What a GET of any other path sends (a static file, or a Smooth form the routes did not take): always
    /// resolved with file access off the request's thread.
    func any(_ path: RequestPath) async throws(OriginError) -> Payload {
        try await FileWork.run { () throws(OriginError) in try self.resolve(path) }
    }

    /// The bytes of a located fragment: from the fragment cache, else one positional read on the thread pool.
    func body(of location: FragmentLocation) async throws(OriginError) -> ByteBuffer {
        if let hit = cachedBody(of: location) { return hit }
        return try await FileWork.run { () throws(OriginError) in try self.body(of: location) }
    }

    /// Index of the first segment naming a `.ism` (the presentation or a split-tree folder).
    static func firstPresentationIndex(_ segments: [String]) -> Int? {
        segments.firstIndex { $0.hasSuffix(".ism") }
    }

    /// Whether a cache entry checked at `checkedAt` may answer: within `revalidateAfter` (fresh), or with
    /// `allowDue` for ``OriginConfiguration/staleWhileRevalidate`` more (due: usable while a check runs in the
    /// background; never when `revalidateAfter` is zero).
    private func usable(_ checkedAt: ContinuousClock.Instant, now: ContinuousClock.Instant, allowDue: Bool) -> Bool {
        let age = now - checkedAt
        if age < configuration.revalidateAfter { return true }
        return allowDue && configuration.revalidateAfter > .zero
            && age < configuration.revalidateAfter + configuration.staleWhileRevalidate
    }

    /// Whether a presentation and media file checked at these instants are due for a check (answerable only
    /// within ``OriginConfiguration/staleWhileRevalidate``, while one runs).
    private func isDue(
        _ presentationChecked: ContinuousClock.Instant, _ mediaChecked: ContinuousClock.Instant,
        now: ContinuousClock.Instant
    ) -> Bool {
        min(presentationChecked, mediaChecked) + configuration.revalidateAfter <= now
    }

    /// The cached presentation at `segments` if it loaded and was checked within `revalidateAfter` (or is due,
    /// with `allowDue`), with when it was checked.
    private func freshPresentation(
        _ segments: ArraySlice<String>, now: ContinuousClock.Instant = .now, allowDue: Bool = false
    ) -> (presentation: LoadedPresentation, checkedAt: ContinuousClock.Instant, key: String)? {
        let key = segments.joined(separator: "/")
        guard let cached = presentations.value(for: key), usable(cached.checkedAt, now: now, allowDue: allowDue),
            case .success(let p) = cached.value
        else { return nil }
        return (p, cached.checkedAt, key)
    }

    /// A fragment answer from memory (``cachedFragment(_:allowDue:)``).
    struct CachedAnswer {
        var payload: Payload
        /// Some of its files are due for a check (only with `allowDue`).
        var due: Bool
        /// What it was resolved against: the cache keys and the presentation.
        var presentationKey: String
        var mediaKey: String
        var presentation: LoadedPresentation
    }

    /// A fragment answer built from memory only; nil when any part needs a file access (or is an error). With
    /// `allowDue`, entries past `revalidateAfter` but within `staleWhileRevalidate` answer too (marked due).
    func cachedFragment(_ s: [String], allowDue: Bool = false) -> CachedAnswer? {
        let now = ContinuousClock.now
        guard let i = Self.firstPresentationIndex(s), i == s.count - 3,
            let (p, checkedAt, presentationKey) = freshPresentation(s[...i], now: now, allowDue: allowDue),
            let request = FragmentRequest(path: s[i + 1] + "/" + s[i + 2]), request.noun == .fragments,
            request.time >= 0,
            let track = p.manifest.track(bitrate: request.bitrate, name: request.streamName),
            Self.isSafeRelative(track.src),
            case let mediaKey = Self.join(p.directory, track.src),
            let cached = mediaFiles.value(for: mediaKey),
            usable(cached.checkedAt, now: now, allowDue: allowDue),
            case .success(let media) = cached.value,
            let entry = media.index.entry(
                trackID: UInt32(truncatingIfNeeded: track.trackID), time: UInt64(request.time)),
            let range = media.knownRange(moofOffset: Int64(truncatingIfNeeded: entry.moofOffset))
        else { return nil }
        return CachedAnswer(
            payload: fragmentPayload(FragmentLocation(media: media, range: range)),
            due: isDue(checkedAt, cached.checkedAt, now: now),
            presentationKey: presentationKey, mediaKey: mediaKey, presentation: p)
    }

    /// ``cachedFragment(_:allowDue:)`` by request target as received. A player asks for the same fragment URLs
    /// over and over, so what a target resolved to (which presentation and media file, the byte range, the
    /// ETag) is remembered: later asks skip parsing the target, the fragment form, the manifest lookup and the
    /// ETag, and only check that the presentation and media caches still hold the very objects it was resolved
    /// against (a reloaded file is a new object) and that their entries are usable. Those two facts are read
    /// from the objects' ``CacheStanding``s, not by looking the entries up: with thousands of presentations the
    /// two lookups (hashing and comparing path keys, moving list nodes, retaining cold entries) cost more than
    /// the rest of the answer. So a direct answer does not make its entries recent in their caches; the check
    /// that falls due every `revalidateAfter` stores them again, which does. Holds no file open (the objects
    /// are referenced weakly: once the caches let them go, the target is resolved afresh).
    ///
    /// A fragment whose files are due for a check is answered from memory while the check runs on the thread
    /// pool (one check per presentation and media file at a time); so a server with many presentations, each
    /// asked less often than every `revalidateAfter`, answers from memory too. Past `staleWhileRevalidate`
    /// (and always when `revalidateAfter` is zero) the answer waits for the check, through the router.
    func directFragment(target: String) -> Payload? {
        let now = ContinuousClock.now
        if let hit = directTargets.value(for: target), let p = hit.presentation.value, let media = hit.media.value,
            let presentationChecked = p.standing.checkedAt, usable(presentationChecked, now: now, allowDue: true),
            let mediaChecked = media.standing.checkedAt, usable(mediaChecked, now: now, allowDue: true)
        {
            if isDue(presentationChecked, mediaChecked, now: now) {
                revalidateInBackground(presentation: hit.presentationKey, media: hit.mediaKey)
            }
            return Payload(
                source: .fragment(FragmentLocation(media: media, range: hit.range)), length: Int64(hit.range.count),
                contentType: ContentTypes.fragment, cacheControl: configuration.fragmentCacheControl, etag: hit.etag,
                prepared: hit.prepared)
        }
        guard case .success(let path) = RequestPath.parse(target, maxLength: configuration.maxURILength),
            let answer = cachedFragment(path.segments, allowDue: true),
            case .fragment(let location) = answer.payload.source
        else { return nil }
        if answer.due { revalidateInBackground(presentation: answer.presentationKey, media: answer.mediaKey) }
        let prepared = PreparedHead(
            answer.payload, corsOrigin: configuration.corsOrigin, serverName: configuration.serverName)
        let remembered = DirectTarget(
            presentationKey: answer.presentationKey, mediaKey: answer.mediaKey,
            presentation: Weak(answer.presentation), media: Weak(location.media), range: location.range,
            etag: answer.payload.etag, prepared: prepared)
        directTargets.set(
            remembered, for: target,
            cost: 2 * target.utf8.count + answer.payload.etag.utf8.count + prepared.bytes.readableBytes + 128)
        var payload = answer.payload
        payload.prepared = prepared
        return payload
    }

    /// The payload of a static file (a media file read by DASH and HLS players in byte ranges, a file of a split
    /// tree) that the router resolved for this same target within ``OriginConfiguration/revalidateAfter``; nil
    /// otherwise (the router then resolves it again, with every check of the root, and remembers it anew).
    /// Only files of at least ``FileRegions/minimumLength`` are remembered: smaller bodies go to the router.
    func directFile(target: String) -> Payload? {
        guard let hit = directFiles.value(for: target) else { return nil }
        guard ContinuousClock.now - hit.resolvedAt < configuration.revalidateAfter else {
            directFiles.removeValue(for: target)
            return nil
        }
        return hit.payload
    }

    /// Remembers what the router resolved `target` to, when it is a file ``directFile(target:)`` may answer.
    func rememberFile(_ payload: Payload, target: String) {
        guard configuration.answerCachedFragmentsDirectly, case .file = payload.source,
            payload.length >= FileRegions.minimumLength, configuration.revalidateAfter > .zero
        else { return }
        var payload = payload
        let prepared = PreparedHead(payload, corsOrigin: configuration.corsOrigin, serverName: configuration.serverName)
        payload.prepared = prepared
        directFiles.set(
            DirectFile(payload: payload, resolvedAt: .now), for: target,
            cost: target.utf8.count + payload.etag.utf8.count + payload.contentType.utf8.count
                + prepared.bytes.readableBytes + 128)
    }

    /// Queues a check of a presentation and one of its media files (``checkFiles(_:)``), unless one of the
    /// same files is queued or under way. The queue is drained by one piece of work on the thread pool at a
    /// time, which takes every check queued meanwhile: with thousands of presentations, thousands of files fall
    /// due every second, and a task and a thread-pool hop for each cost more than the checks themselves.
    private func revalidateInBackground(presentation: String, media: String) {
        let check = BackgroundChecks.Check(presentation: presentation, media: media)
        let startDrain = checks.withLock { checks -> Bool in
            guard checks.pending.insert(check).inserted else { return false }
            checks.queue.append(check)
            if checks.draining { return false }
            checks.draining = true
            return true
        }
        if startDrain { FileWork.submit { active in self.drainChecks(active: active) } }
    }

    /// Runs the queued checks until the queue is empty (on the thread pool; `active` false when the pool is
    /// shutting down: the queue is dropped, and the entries, once past `staleWhileRevalidate`, are checked on
    /// the router's path as before).
    private func drainChecks(active: Bool) {
        while true {
            let batch = checks.withLock { checks -> [BackgroundChecks.Check] in
                let batch = checks.queue
                checks.queue.removeAll(keepingCapacity: true)
                if batch.isEmpty || !active {
                    checks = BackgroundChecks()
                    return []
                }
                return batch
            }
            if batch.isEmpty { return }
            for check in batch { checkFiles(check) }
            checks.withLock { checks in for check in batch { checks.pending.remove(check) } }
            backgroundChecks.add(batch.count)
        }
    }

    /// What a request for a fragment of these files would check, without building its answer: the
    /// presentation (reloaded if it changed, marked checked if not), then the media file if the presentation
    /// still loads and still names it (so a presentation removed with its files is not logged as missing
    /// media).
    private func checkFiles(_ check: BackgroundChecks.Check) {
        guard let p = try? presentation(check.presentation),
            p.manifest.tracks.contains(where: {
                Self.isSafeRelative($0.src) && Self.join(p.directory, $0.src) == check.media
            })
        else { return }
        _ = try? mediaFile(relative: check.media)
    }

    private func manifestPayload(_ p: LoadedPresentation) -> Payload {
        Payload(
            source: .buffer(p.clientManifestBytes), length: Int64(p.clientManifestBytes.readableBytes),
            contentType: ContentTypes.manifest, cacheControl: configuration.manifestCacheControl,
            etag: p.clientIdentity.tag(offset: 0, length: p.clientIdentity.size))
    }

    private func fragmentPayload(_ location: FragmentLocation) -> Payload {
        Payload(
            source: .fragment(location), length: Int64(location.range.count),
            contentType: ContentTypes.fragment, cacheControl: configuration.fragmentCacheControl,
            etag: location.media.identity.tag(offset: location.range.lowerBound, length: Int64(location.range.count)))
    }

    // MARK: Resolution (blocking: stat, realpath, open, pread; called on the thread pool)

    /// What a GET of `path` sends.
    func resolve(_ path: RequestPath) throws(OriginError) -> Payload {
        let s = path.segments
        if let i = s.firstIndex(where: { $0.hasSuffix(".ism") }), i < s.count - 1,
            let p = try presentation(s[...i].joined(separator: "/"))
        {
            let rest = s[(i + 1)...]
            if rest.count == 1 && rest.first == "Manifest" { return manifestPayload(p) }
            if let first = rest.first, first.hasPrefix("QualityLevels") {
                guard let request = FragmentRequest(path: rest.joined(separator: "/")) else {
                    throw .badRequest("not QualityLevels(<bitrate>)/Fragments(<track>=<time>)")
                }
                return fragmentPayload(try locate(request, in: p))
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
        let now = ContinuousClock.now
        let cached = presentations.value(for: relative)
        if let cached, now - cached.checkedAt < configuration.revalidateAfter { return try cached.value.get() }
        if let cached, cached.stillCurrent() {
            store(cached.refreshed(now), for: relative, in: presentations)
            return try cached.value.get()
        }
        let path: FilePath
        let id: FileIdentity
        switch OriginFiles.locate(relative, under: confined) {
        case .outside:
            // A path leading outside the root is not cached (cheap to find again).
            forget(relative, in: presentations)
            throw .notFound("\(relative) leads outside the root")
        case .missing:
            forget(relative, in: presentations)
            throw .notFound("no presentation \(relative)")
        case .found(let p, let i):
            (path, id) = (p, i)
        }
        if id.isDirectory { return nil }
        guard id.isRegularFile else { throw .notFound("\(relative) is not a file") }
        if let cached, cached.identities == [Optional(id)] + cached.dependencies.map(identity) {
            store(cached.refreshed(now), for: relative, in: presentations)
            return try cached.value.get()
        }
        let loaded = loadPresentation(relative: relative, path: path, identity: id)
        if case .failure(let e) = loaded.value {
            // A client manifest leading outside is not cached either; a broken presentation is, so that it is
            // logged once per change of its files.
            if case .notFound = e { throw e }
            logger.error("cannot serve presentation \(relative): \(e)")
        }
        store(loaded, for: relative, in: presentations)
        return try loaded.value.get()
    }

    /// The identity of the file at `relative` under the root; nil when it is absent or leads outside.
    private func identity(_ relative: String) -> FileIdentity? {
        guard case .found(_, let id) = OriginFiles.locate(relative, under: confined) else { return nil }
        return id
    }

    private func loadPresentation(
        relative: String, path: FilePath, identity: FileIdentity
    ) -> Cached<LoadedPresentation> {
        let now = ContinuousClock.now
        func fail(_ e: OriginError, _ deps: [String] = []) -> Cached<LoadedPresentation> {
            Cached(
                value: .failure(e), identities: [identity] + deps.map(self.identity), dependencies: deps,
                checkedAt: now)
        }
        let ismBytes: [UInt8]
        do { ismBytes = try OriginFiles.readSmallFile(path, limit: Self.maxServerManifestBytes) } catch {
            return fail(error)
        }
        let manifest: ServerManifest
        do { manifest = try ServerManifest(xml: ismBytes) } catch { return fail(.badGateway("\(relative): \(error)")) }
        guard let clientRelative = manifest.clientManifestRelativePath else {
            return fail(.badGateway("\(relative) has no clientManifestRelativePath"))
        }
        let directory = String(relative[..<(relative.lastIndex(of: "/") ?? relative.startIndex)])
        guard Self.isSafeRelative(clientRelative) else {
            return fail(.badGateway("\(relative): clientManifestRelativePath \(clientRelative) leaves the folder"))
        }
        let clientPath = Self.join(directory, clientRelative)
        let clientReal: FilePath
        let clientIdentity: FileIdentity
        switch OriginFiles.locate(clientPath, under: confined) {
        case .outside:
            // A symlink out of the root is refused like every other path leading outside: 404, never 502 (the
            // answer must not tell a broken presentation from a file that is not served).
            return fail(.notFound("\(relative): client manifest \(clientRelative) leads outside the root"))
        case .found(let p, let i) where i.isRegularFile:
            (clientReal, clientIdentity) = (p, i)
        case .missing, .found:
            return fail(.badGateway("\(relative): client manifest \(clientRelative) is missing"), [clientPath])
        }
        let clientBytes: [UInt8]
        do { clientBytes = try OriginFiles.readSmallFile(clientReal, limit: Self.maxClientManifestBytes) } catch {
            return fail(error, [clientPath])
        }
        let p = LoadedPresentation(
            relativePath: relative, directory: directory, manifest: manifest, clientManifestPath: clientPath,
            clientManifestBytes: ByteBuffer(bytes: clientBytes), clientIdentity: clientIdentity)
        return Cached(
            value: .success(p), identities: [identity, clientIdentity], dependencies: [clientPath], checkedAt: now,
            resolved: [path, clientReal])
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

    /// Stores `entry` and keeps the ``CacheStanding``s in step: the stored object's is the entry's check time;
    /// an object that left the cache (replaced by another, evicted) or never entered it is retired. One store
    /// or forget at a time (`standings`), so that two stores for the same key cannot leave the standings
    /// saying otherwise than the cache.
    private func store<T: CacheStandingHolder>(
        _ entry: Cached<T>, for key: String, in cache: LRUCache<String, Cached<T>>
    ) {
        let object = try? entry.value.get()
        standings.withLock { _ in
            let (stored, gone) = cache.set(entry, for: key)
            for old in gone {
                if let old = try? old.value.get(), old !== object { old.standing.retire() }
            }
            if stored { object?.standing.checked(at: entry.checkedAt) } else { object?.standing.retire() }
        }
    }

    /// Forgets `key`, retiring the object its entry held.
    private func forget<T: CacheStandingHolder>(_ key: String, in cache: LRUCache<String, Cached<T>>) {
        standings.withLock { _ in
            if let old = try? cache.removeValue(for: key)?.value.get() { old.standing.retire() }
        }
    }

    /// The open, indexed media file `src` of a presentation.
    private func mediaFile(_ src: String, of p: LoadedPresentation) throws(OriginError) -> MediaFile {
        guard Self.isSafeRelative(src) else { throw .notFound("\(p.relativePath): src \(src) leaves the folder") }
        return try mediaFile(relative: Self.join(p.directory, src))
    }

    /// The open, indexed media file at `relative` under the root (a presentation's folder joined with a `src`
    /// that stays in it).
    private func mediaFile(relative: String) throws(OriginError) -> MediaFile {
        let now = ContinuousClock.now
        let cached = mediaFiles.value(for: relative)
        if let cached, now - cached.checkedAt < configuration.revalidateAfter { return try cached.value.get() }
        if let cached, cached.stillCurrent() {
            store(cached.refreshed(now), for: relative, in: mediaFiles)
            return try cached.value.get()
        }
        let located = OriginFiles.locate(relative, under: confined)
        if case .outside = located {
            forget(relative, in: mediaFiles)
            throw .notFound("\(relative) leads outside the root")
        }
        var id: FileIdentity?
        if case .found(_, let i) = located { id = i }
        if let cached, cached.identities == [id] {
            store(cached.refreshed(now), for: relative, in: mediaFiles)
            return try cached.value.get()
        }
        let loaded: Cached<MediaFile>
        if case .found(let path, let id) = located, id.isRegularFile {
            loaded = loadMedia(relative: relative, path: path, identity: id, now: now)
        } else {
            loaded = Cached(
                value: .failure(.badGateway("\(relative) is missing")), identities: [id], dependencies: [],
                checkedAt: now)
        }
        if case .failure(let e) = loaded.value { logger.error("cannot serve fragments of \(relative): \(e)") }
        store(loaded, for: relative, in: mediaFiles)
        return try loaded.value.get()
    }

    private func loadMedia(relative: String, path: FilePath, identity: FileIdentity, now: ContinuousClock.Instant)
        -> Cached<MediaFile>
    {
        do {
            let source = MediaSource(file: try OriginFiles.open(path))
            let index = try RandomAccessIndex.load(from: source)
            return Cached(
                value: .success(MediaFile(path: relative, source: source, identity: identity, index: index)),
                identities: [identity], dependencies: [], checkedAt: now, resolved: [path])
        } catch {
            return Cached(
                value: .failure(.badGateway("\(relative): \(error)")), identities: [identity], dependencies: [],
                checkedAt: now)
        }
    }

    /// The bytes of a located fragment, from the fragment cache or one positional read.
    func body(of location: FragmentLocation) throws(OriginError) -> ByteBuffer {
        if let hit = cachedBody(of: location) { return hit }
        let key = FragmentKey(identity: location.media.identity, offset: location.range.lowerBound)
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

    func cachedBody(of location: FragmentLocation) -> ByteBuffer? {
        let key = FragmentKey(identity: location.media.identity, offset: location.range.lowerBound)
        guard let hit = fragmentBodies.value(for: key), hit.readableBytes == location.range.count else { return nil }
        return hit
    }

    private func staticFile(_ segments: [String]) throws(OriginError) -> Payload {
        let relative = segments.joined(separator: "/")
        guard case .found(let path, let id) = OriginFiles.locate(relative, under: confined), id.isRegularFile else {
            throw .notFound("no file \(relative)")
        }
        let source: MediaSource
        do { source = MediaSource(file: try OriginFiles.open(path)) } catch {
            throw .notFound("cannot open \(relative)")
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
            cacheControl: cache, etag: source.file.status.tag(offset: 0, length: source.size))
    }

    // MARK: Helpers

    /// A path relative to the `.ism`'s folder that stays inside it lexically (no `/` start, no `..`).
    static func isSafeRelative(_ s: String) -> Bool {
        !s.isEmpty && !s.hasPrefix("/") && !s.utf8.contains(0)
            && !s.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0.isEmpty }
    }

    /// `name` in the folder `directory` (both relative to the root; `""` is the root).
    static func join(_ directory: String, _ name: String) -> String {
        directory.isEmpty ? name : directory + "/" + name
    }
}

/// The checks ``SmoothOrigin`` runs in the background: those queued or under way (each once), the queue, and
/// whether a drain is running on the thread pool.
struct BackgroundChecks {
    /// A presentation and one of its media files, by their cache keys.
    struct Check: Hashable {
        var presentation: String
        var media: String
    }
    var pending: Set<Check> = []
    var queue: [Check] = []
    var draining = false
}

/// A cache slot: the loaded value or the failure, the identities it was loaded from, and when they were checked.
struct Cached<T: Sendable>: Sendable {
    var value: Result<T, OriginError>
    /// Identity of the main file followed by those of `dependencies`.
    var identities: [FileIdentity?]
    /// Further files the value was built from (the `.ismc` of an `.ism`).
    var dependencies: [String]
    var checkedAt: ContinuousClock.Instant
    /// The resolved paths (under the root) the identities were taken from, when all are known (loaded values).
    var resolved: [FilePath] = []

    /// Whether a `stat` of each resolved path still gives the identity it was loaded with: then the value is
    /// current without resolving the paths again. A path whose component was replaced (by a symlink
    /// leading elsewhere too) stats differently and fails this check, so confinement is checked again on reload.
    func stillCurrent() -> Bool {
        guard !resolved.isEmpty, resolved.count == identities.count else { return false }
        return zip(resolved, identities).allSatisfy { path, id in
            id != nil && OriginFiles.status(path) == id
        }
    }

    func refreshed(_ now: ContinuousClock.Instant) -> Self {
        var c = self
        c.checkedAt = now
        return c
    }
}

/// Where a cached object stands in its cache, for remembered targets that answer without looking the object up
/// (``SmoothOrigin/directFragment(target:)``): when its entry was last checked, or that the cache does not
/// hold it (a reload replaced it, it was evicted or forgotten, or it was never stored). Written only by
/// ``SmoothOrigin``'s `store` and `forget`, one at a time and together with the cache change, so the standing
/// follows what the cache holds; read without a lock, so a target may answer from an object for the instant
/// between its replacement and its retirement, as it could answer just before a check.
final class CacheStanding: Sendable {
    /// Nanoseconds from ``epoch`` to the entry's last check; `.unstored` until then, `.retired` once retired.
    private let checked = Atomic<Int64>(.unstored)
    private static let epoch = ContinuousClock.now

    /// The object's entry was stored, checked at `instant`.
    func checked(at instant: ContinuousClock.Instant) {
        let d = (instant - Self.epoch).components
        checked.store(d.seconds &* 1_000_000_000 &+ d.attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    /// The cache no longer holds the object: remembered targets resolve afresh.
    func retire() { checked.store(.retired, ordering: .relaxed) }

    /// When the entry holding the object was last checked; nil once retired (or before it was first stored).
    var checkedAt: ContinuousClock.Instant? {
        let nanos = checked.load(ordering: .relaxed)
        return nanos == .retired || nanos == .unstored ? nil : Self.epoch + .nanoseconds(nanos)
    }
}

/// A cached object with a ``CacheStanding``.
protocol CacheStandingHolder: AnyObject, Sendable {
    var standing: CacheStanding { get }
}

extension Int64 {
    fileprivate static let retired = Int64.min
    fileprivate static let unstored = Int64.min + 1
}

/// A parsed `.ism` with its `.ismc` bytes.
final class LoadedPresentation: CacheStandingHolder {
    let relativePath: String
    /// Folder of the `.ism`, relative to the root (`""` for the root itself).
    let directory: String
    let manifest: ServerManifest
    let clientManifestPath: String
    let clientManifestBytes: ByteBuffer
    let clientIdentity: FileIdentity
    /// Its entry in the presentation cache.
    let standing = CacheStanding()

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
final class MediaFile: CacheStandingHolder {
    let path: String
    let source: MediaSource
    let identity: FileIdentity
    let index: RandomAccessIndex
    /// Its entry in the media-file cache.
    let standing = CacheStanding()
    private let ranges = Mutex<[Int64: Result<Range<Int64>, OriginError>]>([:])

    init(path: String, source: MediaSource, identity: FileIdentity, index: RandomAccessIndex) {
        self.path = path
        self.source = source
        self.identity = identity
        self.index = index
    }

    /// The moof+mdat range at `moofOffset` if it was found before and is good (no file access).
    func knownRange(moofOffset: Int64) -> Range<Int64>? {
        guard case .success(let range) = ranges.withLock({ $0[moofOffset] }) else { return nil }
        return range
    }

    /// The moof+mdat range at `moofOffset`, found once (two header reads) and remembered; a bad one is
    /// logged once.
    func fragmentRange(moofOffset: Int64, logger: Logger) throws(OriginError) -> Range<Int64> {
        if let known = ranges.withLock({ $0[moofOffset] }) { return try known.get() }
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
        ranges.withLock { $0[moofOffset] = result }
        return try result.get()
    }
}

/// A request target ``SmoothOrigin/directFragment(target:)`` resolved: the cache entries and objects it was
/// resolved against, and its fragment.
struct DirectTarget: Sendable {
    let presentationKey: String
    let mediaKey: String
    let presentation: Weak<LoadedPresentation>
    let media: Weak<MediaFile>
    let range: Range<Int64>
    let etag: String
    let prepared: PreparedHead
}

/// A static file the router resolved for a request target (``SmoothOrigin/directFile(target:)``): its payload
/// (the open file, its length, type, cache policy and ETag) and when it was resolved.
struct DirectFile: Sendable {
    let payload: Payload
    let resolvedAt: ContinuousClock.Instant
}

/// An object as long as something else (a cache, a response being sent) keeps it.
final class Weak<T: AnyObject & Sendable>: Sendable {
    weak let value: T?
    init(_ value: T) { self.value = value }
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
        case file(MediaSource)
    }

    var source: Source
    var length: Int64
    var contentType: String
    var cacheControl: String
    /// ETag without quotes.
    var etag: String
    /// The status line and headers of a whole `200` answer for this payload, up to `Date` (``PreparedHead``):
    /// set for the payloads ``SmoothOrigin/directFragment(target:)`` and ``SmoothOrigin/directFile(target:)``
    /// remember, made once per remembered target instead of once per request.
    var prepared: PreparedHead?
}
