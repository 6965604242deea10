public import Foundation
internal import Platform
internal import SystemPackage
public import SmoothManifest

/// `upload-manifest.json`: every object of a presentation version with its S3 key, size, checksums and
/// headers, in upload order (media first, `.ismc`, then `.ism` last so a player never sees a manifest
/// before its fragments exist). Schema: `docs/upload-manifest.schema.json` (JSON Schema 2020-12).
public struct UploadManifest: Codable, Sendable, Equatable {
    /// One S3 object.
    public struct Object: Codable, Sendable, Equatable {
        /// Full S3 key (`<prefix><relative path>`).
        public var key: String
        /// Size in bytes.
        public var size: Int64
        /// SHA-256 of the contents, lower-case hex (64 characters).
        public var sha256: String
        /// MD5 of the contents, base64 (24 characters), as S3's `Content-MD5` header.
        public var md5: String
        /// `Content-Type` to store.
        public var contentType: String
        /// `Cache-Control` to store.
        public var cacheControl: String

        /// Creates an object entry.
        public init(key: String, size: Int64, sha256: String, md5: String, contentType: String, cacheControl: String) {
            self.key = key
            self.size = size
            self.sha256 = sha256
            self.md5 = md5
            self.contentType = contentType
            self.cacheControl = cacheControl
        }
    }

    /// Format version (1).
    public var version: Int
    /// Presentation stem.
    public var presentation: String
    /// Key prefix of every object, `<stem>/<version>/`.
    public var prefix: String
    /// Key a player requests: `<prefix><stem>.ism/Manifest`.
    public var manifestPath: String
    /// Objects in upload order.
    public var objects: [Object]

    /// Creates an upload manifest.
    public init(version: Int = 1, presentation: String, prefix: String, manifestPath: String, objects: [Object]) {
        self.version = version
        self.presentation = presentation
        self.prefix = prefix
        self.manifestPath = manifestPath
        self.objects = objects
    }

    /// `Cache-Control` for objects under a versioned prefix: they never change.
    public static let immutableCacheControl = "public, max-age=31536000, immutable"
    /// The file name the pipeline writes this manifest under (excluded from its own listing).
    public static let fileName = "upload-manifest.json"

    /// `Content-Type` by extension: `.ism`/`.ismc`/`.xml` → `text/xml`, `.ismv` → `video/mp4`,
    /// `.isma` → `audio/mp4`, `.json` → `application/json`, `.mpd` → `application/dash+xml`,
    /// `.m3u8` → `application/vnd.apple.mpegurl`, `.ismt` → `application/mp4` (text track), `.vtt` → `text/vtt`,
    /// anything else `application/octet-stream`.
    public static func contentType(forFileName name: String) -> String {
        switch fileExtension(name) {
        case "ism", "ismc", "xml": "text/xml"
        case "ismv": "video/mp4"
        case "isma": "audio/mp4"
        case "json": "application/json"
        case "mpd": "application/dash+xml"
        case "m3u8": "application/vnd.apple.mpegurl"
        case "ismt": "application/mp4"
        case "vtt": "text/vtt"
        default: "application/octet-stream"
        }
    }

    /// Upload order rank: media 0, other files 1, `.ismc` 2, `.ism` 3.
    static func rank(_ name: String) -> Int {
        switch fileExtension(name) {
        case "ismv", "isma", "ismt": 0
        case "ismc": 2
        case "ism": 3
        default: 1
        }
    }

    static func fileExtension(_ name: String) -> String {
        let last = name.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "" }
        return last[last.index(after: dot)...].lowercased()
    }

    /// Pretty-printed JSON with sorted keys, unescaped slashes, final newline: stable byte-for-byte.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// Lists every regular file under `folder` (recursively; names starting with `.` and a top-level
    /// ``fileName`` skipped; symbolic links and special files throw `.fileSystem`), hashing each in 1 MiB chunks, and orders them for upload:
    /// media, other files, `.ismc`, `.ism`; by key within each group.
    ///
    /// - Parameters:
    ///   - folder: the finished presentation folder.
    ///   - presentation: the stem (`<stem>.ism` is the server manifest).
    ///   - prefix: key prefix, normally `<stem>/<version>/`; a missing trailing `/` is added.
    ///   - cacheControl: `Cache-Control` of every object (default immutable: versioned keys never change).
    ///   - known: digests of files the caller computed while writing them (by relative path); such a file is
    ///     not read again when its size on disk is the size that was digested.
    public static func build(folder: URL, presentation: String, prefix: String,
                             cacheControl: String = immutableCacheControl,
                             known: [String: (sha256: [UInt8], md5: [UInt8], size: Int64)] = [:])
        throws(ManifestError) -> UploadManifest
    {
        let normalizedPrefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        var objects: [Object] = []
        for (relative, size) in try listFileSizes(folder) {
            let url = folder.appendingPathComponent(relative)
            let digest: (sha256: [UInt8], md5: [UInt8], size: Int64)
            if let k = known[relative], k.size == size {
                digest = k
            } else {
                do { digest = try Digests.file(atPath: url.path) } catch {
                    throw ManifestError(.fileSystem, url.path, "\(error)")
                }
            }
            objects.append(Object(key: normalizedPrefix + relative, size: digest.size, sha256: Hex.lower(digest.sha256),
                                  md5: Data(digest.md5).base64EncodedString(),
                                  contentType: contentType(forFileName: relative), cacheControl: cacheControl))
        }
        objects.sort { a, b in
            let (ra, rb) = (rank(a.key), rank(b.key))
            return ra != rb ? ra < rb : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        return UploadManifest(presentation: presentation, prefix: normalizedPrefix,
                              manifestPath: normalizedPrefix + presentation + ".ism/Manifest", objects: objects)
    }

    /// Relative paths (`/`-separated) of the regular files under `folder` (hidden names and the upload manifest
    /// itself left out). A symbolic link or special file is refused: it could loop or point outside the folder,
    /// and cannot be uploaded.
    static func listFiles(_ folder: URL) throws(ManifestError) -> [String] {
        try listFileSizes(folder).map(\.path)
    }

    /// ``listFiles(_:)`` with each file's size (from the listing's `lstat`).
    static func listFileSizes(_ folder: URL) throws(ManifestError) -> [(path: String, size: Int64)] {
        let entries: [FileSystem.WalkEntry]
        do { entries = try FileSystem.walk(FilePath(folder.path)) } catch {
            throw ManifestError(.fileSystem, folder.path, "cannot list: \(error)")
        }
        var out: [(path: String, size: Int64)] = []
        for entry in entries where entry.relativePath != fileName {
            switch entry.kind {
            case .directory: continue
            case .file: out.append((entry.relativePath, entry.size))
            case .symlink, .other:
                throw ManifestError(.fileSystem, folder.appendingPathComponent(entry.relativePath).path,
                                    "not a regular file or directory")
            }
        }
        return out
    }
}
