internal import Platform
internal import Foundation
internal import SmoothManifest

/// The part layout of one large file: part size and count (≤ 10,000 parts, each ≥ 8 MiB but the last).
struct PartPlan: Sendable, Equatable {
    static let maxParts: Int64 = 10_000
    var size: Int64
    var partSize: Int64

    init(size: Int64, preferredPartSize: Int64) {
        self.size = size
        var p = max(8 << 20, preferredPartSize)
        let needed = (size + Self.maxParts - 1) / Self.maxParts
        if needed > p { p = (needed + (1 << 20) - 1) / (1 << 20) * (1 << 20) }
        partSize = p
    }

    var count: Int { Int(max(1, (size + partSize - 1) / partSize)) }

    /// Byte range of part `n` (1-based).
    func range(_ n: Int) -> (offset: Int64, length: Int) {
        let offset = Int64(n - 1) * partSize
        return (offset, Int(min(partSize, size - offset)))
    }
}

/// A part as S3 lists or we computed it.
struct PartInfo: Sendable, Equatable {
    var number: Int
    var etag: String
    var size: Int64
    /// Base64 SHA-256 of the part.
    var sha256: String?
}

/// Local digests of every part of a file (for resumption, and for comparing multipart checksums).
struct PartDigests: Sendable {
    var sha256: [[UInt8]]
    var md5: [[UInt8]]

    /// S3's composite checksum of a multipart object: SHA-256 of the concatenated part digests, `-N`.
    var compositeSHA256: String {
        Data(SHA256.hash(sha256.flatMap { $0 })).base64EncodedString() + "-\(sha256.count)"
    }

    /// The multipart ETag: MD5 of the concatenated part MD5s, `-N`.
    var compositeETag: String { Hex.lower(MD5.hash(md5.flatMap { $0 })) + "-\(md5.count)" }

    static func compute(_ url: URL, plan: PartPlan) throws(PublishError) -> PartDigests {
        var out = PartDigests(sha256: [], md5: [])
        for n in 1...plan.count {
            let bytes = try readPart(url, plan: plan, number: n)
            out.sha256.append(SHA256.hash(bytes))
            out.md5.append(MD5.hash(bytes))
        }
        return out
    }
}

/// Reads part `number` of `url`, checking its length.
func readPart(_ url: URL, plan: PartPlan, number: Int) throws(PublishError) -> [UInt8] {
    let (offset, length) = plan.range(number)
    do {
        let file = try ReadableFile(path: url.path)
        defer { file.close() }
        guard file.size >= offset + Int64(length) else {
            throw PublishError(.localFile, "\(url.path) changed while publishing (short read of part \(number))")
        }
        return try file.read(at: offset, count: length)
    } catch let e as PublishError {
        throw e
    } catch {
        throw PublishError(.localFile, "\(url.path): cannot read part \(number) (\(error))")
    }
}

extension Publisher {
    /// Multipart upload of a large object: resumes an earlier upload of the same key when all its parts
    /// match the file (ListParts + per-part SHA-256), aborts it otherwise; parts go up concurrently, each with
    /// `Content-MD5` and `x-amz-checksum-sha256`.
    func putMultipart(_ item: Item, replace: Bool, onEvent: @escaping @Sendable (PublishEvent) -> Void) async throws -> Int {
        let o = item.object
        let plan = PartPlan(size: o.size, preferredPartSize: options.partSize)
        var attempts = 0
        var uploadId: String?
        var done: [Int: PartInfo] = [:]

        // An earlier, interrupted upload of this key?
        for existing in try await listUploads(key: item.key, attempts: &attempts) {
            if uploadId == nil {
                let parts = try await listParts(key: item.key, uploadId: existing, attempts: &attempts)
                var ok = true
                var checked: [PartInfo] = []
                for p in parts {
                    guard p.number >= 1, p.number <= plan.count, p.size == Int64(plan.range(p.number).length) else {
                        ok = false
                        break
                    }
                    let bytes = try readPart(item.file, plan: plan, number: p.number)
                    let local = Data(SHA256.hash(bytes)).base64EncodedString()
                    let localETag = "\"" + Hex.lower(MD5.hash(bytes)) + "\""
                    if let remote = p.sha256 { ok = remote == local } else { ok = p.etag == localETag }
                    if !ok { break }
                    checked.append(PartInfo(number: p.number, etag: p.etag, size: p.size, sha256: local))
                }
                if ok {
                    uploadId = existing
                    for p in checked { done[p.number] = p }
                    continue
                }
            }
            // The file changed since (or another layout): abort, so nothing is left behind.
            let r = try await client.send("DELETE", key: item.key, query: [("uploadId", existing)])
            attempts += r.attempts
            guard (200..<300).contains(r.status) || r.status == 404 else { throw client.failure(r, "AbortMultipartUpload", item.key) }
        }

        if uploadId == nil {
            let r = try await client.send("POST", key: item.key, query: [("uploads", "")], headers: [
                ("Content-Type", o.contentType), ("Cache-Control", o.cacheControl), ("x-amz-checksum-algorithm", "SHA256"),
            ])
            attempts += r.attempts
            guard r.status == 200, r.errorCode == nil else { throw client.failure(r, "CreateMultipartUpload", item.key) }
            guard let id = XMLText.first("UploadId", in: r.body), !id.isEmpty else {
                throw PublishError(.s3, "CreateMultipartUpload s3://\(client.bucket)/\(item.key): the answer (HTTP 200, "
                                   + "\(r.body.count) bytes) holds no UploadId")
            }
            uploadId = id
        }
        guard let uploadId else { preconditionFailure("upload id set above") }
        let resumed = done.values.reduce(Int64(0)) { $0 + $1.size }
        if resumed > 0 { onEvent(.bytesSent(resumed)) }

        let missing = (1...plan.count).filter { done[$0] == nil }
        let client = self.client
        let results = try await withThrowingTaskGroup(of: (PartInfo, Int).self) { group in
            var out: [(PartInfo, Int)] = []
            var next = 0
            func add() {
                let n = missing[next]
                next += 1
                group.addTask {
                    let bytes = try readPart(item.file, plan: plan, number: n)
                    let sha = SHA256.hash(bytes)
                    let r = try await client.send("PUT", key: item.key, query: [("partNumber", String(n)), ("uploadId", uploadId)],
                                                  headers: [("Content-MD5", Data(MD5.hash(bytes)).base64EncodedString()),
                                                            ("x-amz-checksum-sha256", Data(sha).base64EncodedString())],
                                                  body: bytes, payloadHash: Hex.lower(sha))
                    guard r.status == 200, let etag = r.headers["etag"] else { throw client.failure(r, "UploadPart \(n)", item.key) }
                    onEvent(.bytesSent(Int64(bytes.count)))
                    return (PartInfo(number: n, etag: etag, size: Int64(bytes.count), sha256: Data(sha).base64EncodedString()),
                            r.attempts)
                }
            }
            while next < missing.count && next < options.concurrency { add() }
            while let r = try await group.next() {
                out.append(r)
                if next < missing.count { add() }
            }
            return out
        }
        for (p, a) in results {
            done[p.number] = p
            attempts += a
        }

        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for n in 1...plan.count {
            guard let p = done[n] else { throw PublishError(.s3, "s3://\(client.bucket)/\(item.key): part \(n) missing") }
            xml += "<Part><PartNumber>\(n)</PartNumber><ETag>\(XMLText.escape(p.etag))</ETag>"
            if let s = p.sha256 { xml += "<ChecksumSHA256>\(s)</ChecksumSHA256>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers: [(String, String)] = [("Content-Type", "application/xml")]
        if !replace { headers.append(("If-None-Match", "*")) }
        let r = try await client.send("POST", key: item.key, query: [("uploadId", uploadId)], headers: headers,
                                      body: Array(xml.utf8))
        attempts += r.attempts
        if r.status == 412 || r.errorCode == "NoSuchUpload" {
            // An earlier attempt completed the upload and its answer was lost (the retry then finds the object
            // there, or the upload gone), or another run stored the object meanwhile: the object is done if it
            // holds exactly these bytes.
            let now = try await head(item.key)
            attempts += now?.attempts ?? 1
            if let now, try same(now, item) {
                attempts += await abandonOtherUploads(item.key)
                return attempts
            }
        }
        // CompleteMultipartUpload can answer 200 with an error document.
        guard r.status == 200, r.errorCode == nil else { throw client.failure(r, "CompleteMultipartUpload", item.key) }
        attempts += await abandonOtherUploads(item.key)
        return attempts
    }

    /// Aborts every unfinished upload of `key` once the object is complete: one whose CreateMultipartUpload
    /// answer was lost (the retry made another), or one of an earlier run that was neither resumed nor aborted.
    /// Best effort (the object is already right); returns the requests made.
    func abandonOtherUploads(_ key: String) async -> Int {
        var attempts = 0
        guard let ids = try? await listUploads(key: key, attempts: &attempts) else { return attempts }
        for id in ids {
            attempts += (try? await client.send("DELETE", key: key, query: [("uploadId", id)]).attempts) ?? 1
        }
        return attempts
    }

    /// Upload ids of unfinished multipart uploads of exactly `key`.
    func listUploads(key: String, attempts: inout Int) async throws -> [String] {
        let r = try await client.send("GET", key: "", query: [("uploads", ""), ("prefix", key)])
        attempts += r.attempts
        guard r.status == 200 else { throw client.failure(r, "ListMultipartUploads", key) }
        // A cut or garbled answer must not read as "no uploads" (the upload to resume or abort would be left).
        try Self.requireDocument("ListMultipartUploadsResult", r, "ListMultipartUploads", key, client.bucket)
        return XMLText.blocks("Upload", in: r.body).compactMap { block in
            guard XMLText.first("Key", in: block) == key else { return nil }
            return XMLText.first("UploadId", in: block)
        }
    }

    /// Parts of an upload (up to 10,000; paginated by `part-number-marker`).
    func listParts(key: String, uploadId: String, attempts: inout Int) async throws -> [PartInfo] {
        var out: [PartInfo] = []
        var marker = "0"
        for _ in 0..<20 {
            let r = try await client.send("GET", key: key, query: [("uploadId", uploadId), ("part-number-marker", marker)])
            attempts += r.attempts
            if r.status == 404 { return [] }
            guard r.status == 200 else { throw client.failure(r, "ListParts", key) }
            try Self.requireDocument("ListPartsResult", r, "ListParts", key, client.bucket)
            for block in XMLText.blocks("Part", in: r.body) {
                guard let n = XMLText.first("PartNumber", in: block).flatMap({ Int($0) }),
                      let etag = XMLText.first("ETag", in: block),
                      let size = XMLText.first("Size", in: block).flatMap({ Int64($0) }) else { continue }
                out.append(PartInfo(number: n, etag: etag.hasPrefix("\"") ? etag : "\"\(etag)\"", size: size,
                                    sha256: XMLText.first("ChecksumSHA256", in: block)))
            }
            guard XMLText.first("IsTruncated", in: r.body) == "true",
                  let next = XMLText.first("NextPartNumberMarker", in: r.body), next != marker else { break }
            marker = next
        }
        return out
    }

    /// Throws unless `r`'s body is a whole `<root>` document (its closing tag present).
    static func requireDocument(_ root: String, _ r: S3Response, _ operation: String, _ key: String,
                                _ bucket: String) throws(PublishError) {
        let text = String(decoding: r.body, as: UTF8.self)
        guard text.contains("<\(root)"), text.contains("</\(root)>") else {
            throw PublishError(.s3, "\(operation) s3://\(bucket)/\(key): the answer (HTTP \(r.status), \(r.body.count) bytes) "
                               + "is not a whole \(root) document")
        }
    }

    /// Unfinished uploads under the publish prefix (for tests and `--json`): (key, uploadId).
    public func pendingUploads() async throws -> [(key: String, uploadId: String)] {
        let r = try await client.send("GET", key: "", query: [("uploads", ""), ("prefix", options.location.prefix)])
        guard r.status == 200 else { throw client.failure(r, "ListMultipartUploads", options.location.prefix) }
        try Self.requireDocument("ListMultipartUploadsResult", r, "ListMultipartUploads", options.location.prefix, client.bucket)
        return XMLText.blocks("Upload", in: r.body).compactMap { block in
            guard let k = XMLText.first("Key", in: block), let id = XMLText.first("UploadId", in: block) else { return nil }
            return (k, id)
        }
    }
}
