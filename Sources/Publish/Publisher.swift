public import Foundation
internal import SmoothManifest
internal import Platform

/// What happened to one object.
public enum ObjectAction: String, Codable, Sendable {
    /// Stored (and confirmed by a checksum HEAD).
    case uploaded
    /// Already there with the same size and SHA-256.
    case skipped
    /// Not stored; the run fails.
    case failed
    /// `--dry-run`: would be stored.
    case wouldUpload = "would-upload"
}

/// One line of the `--json` report. Never contains credentials.
public struct ObjectReport: Codable, Sendable, Equatable {
    /// Full S3 key.
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// What happened.
    public var action: ObjectAction
    /// Requests it took (HEADs and PUTs, retries included).
    public var attempts: Int
    /// The failure, for `failed`.
    public var error: String?

    /// Creates a report line.
    public init(key: String, size: Int64, action: ObjectAction, attempts: Int, error: String? = nil) {
        self.key = key
        self.size = size
        self.action = action
        self.attempts = attempts
        self.error = error
    }
}

/// The outcome of one presentation.
public struct PresentationReport: Sendable {
    /// Presentation stem.
    public var presentation: String
    /// Local folder.
    public var folder: String
    /// Key a player requests (`PREFIX/<stem>/<version>/<stem>.ism/Manifest`).
    public var playbackKey: String
    /// Every object, in the order they finished.
    public var objects: [ObjectReport]
    /// The first failure, if any (then the run exits 1).
    public var error: PublishError?

    /// Bytes of the objects uploaded.
    public var uploadedBytes: Int64 { objects.filter { $0.action == .uploaded }.reduce(0) { $0 + $1.size } }
}

/// Progress of a publish (for the CLI's display).
public enum PublishEvent: Sendable {
    /// A presentation's files were verified against its manifest: object count and total bytes.
    case verified(presentation: String, objects: Int, bytes: Int64)
    /// One object finished.
    case object(ObjectReport)
    /// Bytes sent so far grew by this much.
    case bytesSent(Int64)
}

/// Options of `smoothpack publish`.
public struct PublishOptions: Sendable {
    /// `s3://BUCKET[/PREFIX]`.
    public var location: S3Location
    /// Objects (or parts) in flight at once.
    public var concurrency: Int
    /// List what would be sent; send nothing.
    public var dryRun: Bool
    /// `Cache-Control` of the unversioned policy files.
    public var policyCacheControl: String
    /// Files above this size go up in parts.
    public var multipartThreshold: Int64
    /// Part size (at least 8 MiB; grown so a file needs at most 10,000 parts).
    public var partSize: Int64

    /// Creates options.
    public init(location: S3Location, concurrency: Int = 4, dryRun: Bool = false,
                policyCacheControl: String = "public, max-age=300", multipartThreshold: Int64 = 64 << 20,
                partSize: Int64 = 8 << 20) {
        self.location = location
        self.concurrency = max(1, concurrency)
        self.dryRun = dryRun
        self.policyCacheControl = policyCacheControl
        self.multipartThreshold = multipartThreshold
        self.partSize = max(8 << 20, partSize)
    }
}

/// Publishes presentation folders to S3 following the guarantees of issue 12: verify before sending, never
/// overwrite a published name, media before manifests and the `.ism` last, checksums end to end.
public struct Publisher: Sendable {
    /// The client (bucket included).
    public let client: S3Client
    /// Options.
    public let options: PublishOptions

    /// Creates a publisher.
    public init(client: S3Client, options: PublishOptions) {
        self.client = client
        self.options = options
    }

    /// The presentation folders under `folder`: itself when it holds `upload-manifest.json`, otherwise every
    /// `<stem>/<version>/` below it that does (an `encode`/`package` output folder), sorted.
    public static func presentations(in folder: URL) throws(PublishError) -> [URL] {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder.appendingPathComponent(UploadManifest.fileName).path) { return [folder] }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw PublishError(.localFile, "\(folder.path): no such folder")
        }
        var out: [URL] = []
        let stems = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for stem in stems {
            let s = folder.appendingPathComponent(stem)
            let versions = ((try? fm.contentsOfDirectory(atPath: s.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            for v in versions where fm.fileExists(atPath: s.appendingPathComponent(v).appendingPathComponent(UploadManifest.fileName).path) {
                out.append(s.appendingPathComponent(v))
            }
        }
        guard !out.isEmpty else {
            throw PublishError(.localFile, "\(folder.path): no \(UploadManifest.fileName) in it or in <stem>/<version>/ below it")
        }
        return out
    }

    /// Reads and checks a folder's upload manifest and every file against it (size, SHA-256, MD5).
    /// Throws `.localFile` naming the first file that differs; nothing is sent by this step.
    public static func verify(folder: URL) throws(PublishError) -> (UploadManifest, [URL]) {
        let manifestURL = folder.appendingPathComponent(UploadManifest.fileName)
        let manifest: UploadManifest
        do { manifest = try JSONDecoder().decode(UploadManifest.self, from: Data(contentsOf: manifestURL)) } catch {
            throw PublishError(.localFile, "\(manifestURL.path): unreadable upload manifest (\(error))")
        }
        var files: [URL] = []
        for object in manifest.objects {
            let relative = try Self.relativePath(object.key, manifest: manifest, folder: folder)
            let url = folder.appendingPathComponent(relative)
            let digest: (sha256: [UInt8], md5: [UInt8], size: Int64)
            do { digest = try Digests.file(atPath: url.path) } catch {
                throw PublishError(.localFile, "\(error); nothing of '\(manifest.presentation)' was sent")
            }
            var what: String?
            if digest.size != object.size { what = "size \(digest.size), upload-manifest.json says \(object.size)" }
            else if Hex.lower(digest.sha256) != object.sha256 { what = "SHA-256 differs from upload-manifest.json" }
            else if Data(digest.md5).base64EncodedString() != object.md5 { what = "MD5 differs from upload-manifest.json" }
            if let what {
                throw PublishError(.localFile, "\(url.path) changed since encoding (\(what)); "
                                   + "nothing of '\(manifest.presentation)' was sent")
            }
            files.append(url)
        }
        return (manifest, files)
    }

    /// `key` minus the manifest's prefix, refused when it could leave the folder.
    static func relativePath(_ key: String, manifest: UploadManifest, folder: URL) throws(PublishError) -> String {
        guard key.hasPrefix(manifest.prefix) else {
            throw PublishError(.localFile, "\(folder.path)/\(UploadManifest.fileName): key '\(key)' is outside its prefix '\(manifest.prefix)'")
        }
        let relative = String(key.dropFirst(manifest.prefix.count))
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !relative.isEmpty, !relative.contains("\0"),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".") }) else {
            throw PublishError(.localFile, "\(folder.path)/\(UploadManifest.fileName): key '\(key)' is not a plain relative path")
        }
        return relative
    }

    /// Publishes one presentation folder. Failures are in the report (`error`), not thrown.
    ///
    /// `fence`, when given, runs before the first object is sent and again before the `.ismc` group and the
    /// `.ism`: a queue worker checks there that it still holds its job's lease. When it throws, nothing more
    /// is sent and the report's error carries its message.
    public func publish(folder: URL, onEvent: @escaping @Sendable (PublishEvent) -> Void = { _ in },
                        fence: (@Sendable () async throws -> Void)? = nil) async -> PresentationReport {
        var report = PresentationReport(presentation: folder.lastPathComponent, folder: folder.path, playbackKey: "",
                                        objects: [], error: nil)
        let manifest: UploadManifest
        let files: [URL]
        do { (manifest, files) = try Self.verify(folder: folder) } catch {
            report.error = error
            return report
        }
        report.presentation = manifest.presentation
        report.playbackKey = options.location.key(manifest.manifestPath)
        onEvent(.verified(presentation: manifest.presentation, objects: manifest.objects.count,
                          bytes: manifest.objects.reduce(0) { $0 + $1.size }))

        // Published ⇔ the .ism exists.
        let items = zip(manifest.objects, files).map { Item(object: $0, file: $1, key: options.location.key($0.key)) }
        var published = false
        if let ism = items.first(where: { UploadManifest.rank($0.object.key) == 3 }) {
            do { published = try await head(ism.key) != nil } catch {
                report.error = error as? PublishError ?? PublishError(.transport, "\(error)")
                return report
            }
        }
        // Groups in order: media, other files, .ismc, .ism; a group starts once the previous one is stored.
        let isPublished = published
        for rank in 0...3 {
            let group = items.filter { UploadManifest.rank($0.object.key) == rank }
            if group.isEmpty { continue }
            if let fence, rank == 0 || rank >= 2 || report.objects.isEmpty {
                do { try await fence() } catch {
                    report.error = error as? PublishError ?? PublishError(.transport, "\(error)")
                    return report
                }
            }
            let results = await runBounded(group, stop: { (r: ObjectReport) in r.action == .failed }) { item -> ObjectReport in
                let r: ObjectReport
                var attempts = 0
                do { r = try await self.put(item, published: isPublished, attempts: &attempts, onEvent: onEvent) } catch {
                    let e = error as? PublishError ?? PublishError(.transport, "\(error)")
                    // The requests answered so far, and the attempts of the one that failed without an answer.
                    r = ObjectReport(key: item.key, size: item.object.size, action: .failed, attempts: attempts + e.attempts,
                                     error: e.message)
                }
                onEvent(.object(r))
                return r
            }
            report.objects += results
            if let failed = results.first(where: { $0.action == .failed }) {
                report.error = PublishError(failed.error?.contains("immutable") == true ? .immutableConflict : .s3,
                                            failed.error ?? "\(failed.key) failed")
                return report
            }
        }
        return report
    }

    /// Stores the unversioned policy files at `PREFIX/<name>`, replacing them when different.
    public func publishPolicyFiles(_ files: [(name: String, contents: [UInt8])]) async -> (objects: [ObjectReport], error: PublishError?) {
        var out: [ObjectReport] = []
        for file in files {
            let key = options.location.key(file.name)
            let sha = SHA256.hash(file.contents)
            let md5 = MD5.hash(file.contents)
            var attempts = 0
            do {
                let existing = try await head(key)
                attempts += existing?.attempts ?? 1
                if let existing, existing.matches(size: Int64(file.contents.count), sha256: sha, md5: md5) {
                    out.append(ObjectReport(key: key, size: Int64(file.contents.count), action: .skipped, attempts: attempts))
                    continue
                }
                if options.dryRun {
                    out.append(ObjectReport(key: key, size: Int64(file.contents.count), action: .wouldUpload, attempts: attempts))
                    continue
                }
                let r = try await client.send("PUT", key: key, headers: [
                    ("Content-Type", UploadManifest.contentType(forFileName: file.name)),
                    ("Cache-Control", options.policyCacheControl),
                    ("Content-MD5", Data(md5).base64EncodedString()),
                    ("x-amz-checksum-sha256", Data(sha).base64EncodedString()),
                ], body: file.contents, payloadHash: Hex.lower(sha))
                attempts += r.attempts
                guard (200..<300).contains(r.status) else { throw client.failure(r, "PUT", key) }
                out.append(ObjectReport(key: key, size: Int64(file.contents.count), action: .uploaded, attempts: attempts))
            } catch {
                let e = error as? PublishError ?? PublishError(.transport, "\(error)")
                out.append(ObjectReport(key: key, size: Int64(file.contents.count), action: .failed,
                                        attempts: attempts + e.attempts, error: e.message))
                return (out, e)
            }
        }
        return (out, nil)
    }

    struct Item: Sendable {
        var object: UploadManifest.Object
        var file: URL
        var key: String
    }

    /// Existing object's size and checksums (`HEAD` with `x-amz-checksum-mode: ENABLED`); nil when absent.
    func head(_ key: String) async throws -> RemoteObject? {
        let r = try await client.send("HEAD", key: key, headers: [("x-amz-checksum-mode", "ENABLED")])
        if r.status == 404 { return nil }
        guard r.status == 200 else {
            // A HEAD answer has no body, so S3's error code is unknown: ask again with a one-byte GET, whose
            // error document names it (SignatureDoesNotMatch, AccessDenied, NoSuchBucket, …).
            // A 404 there contradicts the HEAD (which did not say 404): then the HEAD's own status is the news.
            let g = try await client.send("GET", key: key, headers: [("Range", "bytes=0-0")])
            if g.status >= 300, g.status != 404, g.errorCode != nil {
                var e = client.failure(g, "HEAD", key)
                e.attempts = r.attempts + g.attempts
                throw e
            }
            let after = r.attempts > 1 ? " after \(r.attempts) attempts" : ""
            throw PublishError(.s3, "HEAD s3://\(client.bucket)/\(key): HTTP \(r.status)\(after)", attempts: r.attempts + g.attempts)
        }
        return RemoteObject(size: Int64(r.headers["content-length"] ?? "") ?? -1,
                            sha256: r.headers["x-amz-checksum-sha256"], etag: r.headers["etag"], attempts: r.attempts)
    }

    /// Whether the remote object holds exactly the item's bytes: size, then SHA-256 (or for a multipart
    /// object the composite checksum / ETag of the same part layout, computed from the local file).
    func same(_ remote: RemoteObject, _ item: Item) throws -> Bool {
        let o = item.object
        guard remote.size == o.size, let sha = Hex.decode(o.sha256), let md5 = Data(base64Encoded: o.md5).map(Array.init) else {
            return false
        }
        let multipart = (remote.sha256?.contains("-") ?? false) || (remote.etag?.contains("-") ?? false)
        if !multipart { return remote.matches(size: o.size, sha256: sha, md5: md5) }
        let parts = try PartDigests.compute(item.file, plan: PartPlan(size: o.size, preferredPartSize: options.partSize))
        if let c = remote.sha256 { return c == parts.compositeSHA256 }
        return remote.etag?.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == parts.compositeETag
    }

    /// One object: skip when equal, refuse a change under a published version, otherwise PUT and confirm.
    /// `attempts` counts the requests' attempts as they are answered (kept when this throws, for the report).
    func put(_ item: Item, published: Bool, attempts: inout Int,
             onEvent: @escaping @Sendable (PublishEvent) -> Void) async throws -> ObjectReport {
        let o = item.object
        let existing = try await head(item.key)
        attempts += existing?.attempts ?? 1
        guard let sha = Hex.decode(o.sha256), Data(base64Encoded: o.md5) != nil else {
            throw PublishError(.localFile, "\(item.file.path): malformed checksum in upload-manifest.json")
        }
        var replace = false
        if let existing {
            if try same(existing, item) {
                return ObjectReport(key: item.key, size: o.size, action: .skipped, attempts: attempts)
            }
            if published { throw Self.immutable(item.key, client.bucket) }
            replace = true
        }
        if options.dryRun { return ObjectReport(key: item.key, size: o.size, action: .wouldUpload, attempts: attempts) }

        if o.size > options.multipartThreshold {
            attempts += try await putMultipart(item, replace: replace, onEvent: onEvent)
        } else {
            let bytes = try Self.read(item.file, expected: o)
            var headers: [(String, String)] = [
                ("Content-Type", o.contentType), ("Cache-Control", o.cacheControl),
                ("Content-MD5", o.md5), ("x-amz-checksum-sha256", Data(sha).base64EncodedString()),
            ]
            if !replace { headers.append(("If-None-Match", "*")) }
            var r = try await client.send("PUT", key: item.key, headers: headers, body: bytes, payloadHash: o.sha256)
            attempts += r.attempts
            if r.status == 412 {
                // Someone (or our own earlier attempt whose answer was lost) stored it meanwhile.
                let now = try await head(item.key)
                attempts += 1
                if let now, try same(now, item) {
                    return ObjectReport(key: item.key, size: o.size, action: .uploaded, attempts: attempts)
                }
                if published, now != nil { throw Self.immutable(item.key, client.bucket) }   // other bytes got there first
                if published || now == nil { throw client.failure(r, "PUT", item.key) }
                headers.removeLast()
                r = try await client.send("PUT", key: item.key, headers: headers, body: bytes, payloadHash: o.sha256)
                attempts += r.attempts
            }
            guard (200..<300).contains(r.status) else { throw client.failure(r, "PUT", item.key) }
            onEvent(.bytesSent(o.size))
        }
        // Confirm: size and checksum as stored.
        let stored = try await head(item.key)
        attempts += 1
        guard let stored, try same(stored, item) else {
            throw PublishError(.s3, "s3://\(client.bucket)/\(item.key): stored object's size or checksum differs after upload")
        }
        return ObjectReport(key: item.key, size: o.size, action: .uploaded, attempts: attempts)
    }

    static func immutable(_ key: String, _ bucket: String) -> PublishError {
        PublishError(.immutableConflict, "s3://\(bucket)/\(key) exists with different content under a published "
                     + "version (versioned names are immutable: make a new version instead)")
    }

    /// The file's bytes, re-checked against the manifest (the bytes sent are the bytes hashed).
    static func read(_ url: URL, expected: UploadManifest.Object) throws(PublishError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            let file = try ReadableFile(path: url.path)
            defer { file.close() }
            guard file.size == expected.size else {
                throw PublishError(.localFile, "\(url.path) changed while publishing; refusing to send it")
            }
            bytes = try file.read(at: 0, count: Int(clamping: file.size))
        } catch let e as PublishError {
            throw e
        } catch {
            throw PublishError(.localFile, "\(url.path): cannot read (\(error))")
        }
        guard Int64(bytes.count) == expected.size, Hex.lower(SHA256.hash(bytes)) == expected.sha256 else {
            throw PublishError(.localFile, "\(url.path) changed while publishing; refusing to send it")
        }
        return bytes
    }

    /// Runs `body` over `items` with at most `options.concurrency` in flight; results in completion order.
    /// After a result for which `stop` is true, no further item starts (those in flight finish).
    func runBounded<T: Sendable>(_ items: [Item], stop: @escaping (T) -> Bool = { _ in false },
                                 _ body: @escaping @Sendable (Item) async -> T) async -> [T] {
        await withTaskGroup(of: T.self) { group in
            var results: [T] = []
            var next = 0
            var stopped = false
            while next < items.count && next < options.concurrency {
                let item = items[next]
                group.addTask { await body(item) }
                next += 1
            }
            while let r = await group.next() {
                results.append(r)
                if stop(r) { stopped = true }
                if next < items.count && !stopped {
                    let item = items[next]
                    group.addTask { await body(item) }
                    next += 1
                }
            }
            return results
        }
    }
}

/// What a HEAD says about an existing object.
struct RemoteObject: Sendable {
    var size: Int64
    /// Base64 SHA-256 (`x-amz-checksum-sha256`), when the object was stored with one.
    var sha256: String?
    /// ETag (quoted); the hex MD5 for single-part uploads.
    var etag: String?
    var attempts: Int

    /// Same size and the same SHA-256 (or, for an object stored without a checksum, the same single-part MD5 ETag).
    func matches(size: Int64, sha256 expected: [UInt8], md5: [UInt8]) -> Bool {
        guard self.size == size else { return false }
        if let sha256 { return sha256 == Data(expected).base64EncodedString() }
        if let etag {
            let plain = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return !plain.contains("-") && plain.lowercased() == Hex.lower(md5)
        }
        return false
    }
}
