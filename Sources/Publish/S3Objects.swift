public import Foundation
internal import Platform
internal import SmoothManifest

/// What `HEAD` or a listing says about an object.
public struct S3ObjectInfo: Sendable, Equatable {
    /// Key.
    public var key: String
    /// Size in bytes.
    public var size: Int64
    /// ETag without quotes (hex MD5 for a single-part upload; `<hex>-<parts>` for multipart).
    public var etag: String
    /// Base64 SHA-256 (`x-amz-checksum-sha256`) when the object was stored with one and HEAD asked for it.
    public var sha256: String?

    public init(key: String, size: Int64, etag: String, sha256: String? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.sha256 = sha256
    }
}

/// `s3://bucket/key` of a source object.
public struct S3ObjectURL: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    public var key: String

    /// Parses `s3://BUCKET/KEY` (a key is required).
    public init(parsing text: String) throws(PublishError) {
        let location = try S3Location(parsing: text)
        guard !location.prefix.isEmpty, !text.hasSuffix("/") else {
            throw PublishError(.invalidArgument, "'\(text)': expected s3://BUCKET/KEY of an object")
        }
        bucket = location.bucket
        key = location.prefix
    }

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    public var description: String { "s3://\(bucket)/\(key)" }
}

extension S3Client {
    /// The object's size, ETag and (when stored) SHA-256; nil when it does not exist.
    public func headObject(_ key: String) async throws -> S3ObjectInfo? {
        let r = try await send("HEAD", key: key, headers: [("x-amz-checksum-mode", "ENABLED")])
        if r.status == 404 { return nil }
        guard r.status == 200 else {
            let g = try await send("GET", key: key, headers: [("Range", "bytes=0-0")])
            if g.status == 404 { return nil }
            if g.status >= 300 { throw failure(g, "HEAD", key) }
            throw PublishError(.s3, "HEAD s3://\(bucket)/\(key): HTTP \(r.status)")
        }
        return S3ObjectInfo(key: key, size: Int64(r.headers["content-length"] ?? "") ?? -1,
                            etag: Self.unquote(r.headers["etag"] ?? ""), sha256: r.headers["x-amz-checksum-sha256"])
    }

    /// Downloads `object` to `file` (created; must not exist) in ranged GETs of `pieceSize` bytes, each
    /// conditional on the object's ETag (an object replaced meanwhile fails the download instead of mixing
    /// two versions). The bytes are checked against the object's single-part ETag (MD5) or stored SHA-256,
    /// whichever it has; memory stays at one piece whatever the size. Returns the SHA-256 of the bytes.
    @discardableResult
    public func download(_ object: S3ObjectInfo, to file: URL, pieceSize: Int = 8 << 20,
                         isCancelled: @Sendable () -> Bool = { false }) async throws -> [UInt8] {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: file) else {
            throw PublishError(.localFile, "\(file.path): cannot create")
        }
        defer { try? handle.close() }
        var sha = SHA256()
        var md5 = MD5()
        var offset: Int64 = 0
        while offset < object.size {
            try Task.checkCancellation()
            let end = min(object.size, offset + Int64(pieceSize)) - 1
            let r = try await send("GET", key: object.key, headers: [
                ("Range", "bytes=\(offset)-\(end)"), ("If-Match", "\"\(object.etag)\""),
            ], maxResponseBytes: pieceSize + 1)
            if r.status == 412 {
                throw PublishError(.s3, "s3://\(bucket)/\(object.key) changed while it was being downloaded")
            }
            guard r.status == 206 || (r.status == 200 && offset == 0 && Int64(r.body.count) == object.size) else {
                throw failure(r, "GET", object.key)
            }
            guard Int64(r.body.count) == end - offset + 1 || r.status == 200 else {
                throw PublishError(.s3, "GET s3://\(bucket)/\(object.key): \(r.body.count) bytes for range \(offset)-\(end)")
            }
            sha.update(r.body)
            md5.update(r.body)
            do { try handle.write(contentsOf: r.body) } catch {
                throw PublishError(.localFile, "\(file.path): cannot write (\(error))")
            }
            offset += Int64(r.body.count)
        }
        let digest = sha.finalize()
        let md5Hex = Hex.lower(md5.finalize())
        if let stored = object.sha256, !stored.contains("-") {
            guard stored == Data(digest).base64EncodedString() else {
                throw PublishError(.s3, "s3://\(bucket)/\(object.key): downloaded bytes do not match the stored SHA-256")
            }
        } else if !object.etag.contains("-"), object.etag.count == 32 {
            guard object.etag.lowercased() == md5Hex else {
                throw PublishError(.s3, "s3://\(bucket)/\(object.key): downloaded bytes do not match the ETag (MD5)")
            }
        }
        return digest
    }

    /// One page of `ListObjectsV2` under `prefix`: objects and the token for the next page (nil at the end).
    public func listObjects(prefix: String, continuation: String? = nil,
                            maxKeys: Int = 1000) async throws -> (objects: [S3ObjectInfo], next: String?) {
        var query: [(String, String)] = [("list-type", "2"), ("max-keys", "\(maxKeys)"), ("prefix", prefix)]
        if let continuation { query.append(("continuation-token", continuation)) }
        let r = try await send("GET", key: "", query: query)
        guard r.status == 200 else { throw failure(r, "LIST", prefix) }
        var objects: [S3ObjectInfo] = []
        for block in XMLText.blocks("Contents", in: r.body) {
            guard let key = XMLText.first("Key", in: block), let size = XMLText.first("Size", in: block).flatMap({ Int64($0) }) else {
                continue
            }
            let etag = Self.unquote(XMLText.first("ETag", in: block) ?? "")
            objects.append(S3ObjectInfo(key: key, size: size, etag: etag))
        }
        let truncated = XMLText.first("IsTruncated", in: r.body) == "true"
        return (objects, truncated ? XMLText.first("NextContinuationToken", in: r.body) : nil)
    }

    static func unquote(_ etag: String) -> String {
        etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).replacingOccurrences(of: "&quot;", with: "")
    }
}
