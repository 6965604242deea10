internal import Foundation
public import Publish
internal import Platform
internal import Synchronization

/// S3 clients by bucket, made on first use from one configuration and credentials; shut down together.
public final class S3Clients: Sendable {
    let configuration: S3Configuration
    let credentials: AWSCredentials
    private let clients = Mutex<[String: S3Client]>([:])

    public init(configuration: S3Configuration, credentials: AWSCredentials) {
        self.configuration = configuration
        self.credentials = credentials
    }

    public func client(bucket: String) -> S3Client {
        clients.withLock { all in
            if let c = all[bucket] { return c }
            let c = S3Client(configuration: configuration, bucket: bucket, credentials: credentials)
            all[bucket] = c
            return c
        }
    }

    public func shutdown() async {
        let all = clients.withLock { all in
            defer { all = [:] }
            return Array(all.values)
        }
        for c in all { await c.shutdown() }
    }
}

/// How sources are named and fingerprinted when they are queued.
public enum SourceIdentity {
    /// `s3:<etag>:<size>`: S3's ETag changes whenever the bytes do (single-part: their MD5).
    public static func fingerprint(_ object: S3ObjectInfo) -> String { "s3:\(object.etag):\(object.size)" }

    /// `sha256:<hex>` of the whole file.
    public static func fingerprint(file path: String) throws -> (fingerprint: String, size: Int64) {
        let d = try Digests.file(atPath: path)
        return ("sha256:" + Digests.hex(d.sha256), d.size)
    }

    /// What `queue add` needs for an `s3://bucket/key` argument or a file path.
    public static func describe(_ argument: String, clients: S3Clients?) async throws -> (source: String, fingerprint: String, size: Int64) {
        if argument.hasPrefix("s3://") {
            let object = try S3ObjectURL(parsing: argument)
            guard let clients else { throw WorkersError(.usage, "\(argument): S3 sources need credentials") }
            guard let info = try await clients.client(bucket: object.bucket).headObject(object.key) else {
                throw WorkersError(.source, "\(argument): no such object")
            }
            return (object.description, fingerprint(info), info.size)
        }
        let url = URL(fileURLWithPath: argument).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw WorkersError(.source, "\(argument): no such file")
        }
        let (fp, size) = try fingerprint(file: url.path)
        return (url.path, fp, size)
    }
}

/// Brings a job's source into the worker's scratch folder, verifying its bytes against the fingerprint it was
/// queued with. S3 objects are downloaded in bounded ranged GETs (one piece in memory at a time); files on
/// shared storage are read in place after their SHA-256 is checked.
struct SourceFetcher: Sendable {
    let clients: S3Clients?

    /// The local path of the verified source; `folder` is the job's scratch folder.
    func fetch(_ job: ClaimedJob, into folder: URL, isCancelled: @escaping @Sendable () -> Bool) async throws -> URL {
        if job.source.hasPrefix("s3://") {
            let object = try S3ObjectURL(parsing: job.source)
            guard let clients else { throw WorkersError(.usage, "\(job.source): this worker has no S3 credentials") }
            let client = clients.client(bucket: object.bucket)
            guard let info = try await client.headObject(object.key) else {
                throw WorkersError(.source, "\(job.source): no such object (deleted after it was queued?)")
            }
            guard SourceIdentity.fingerprint(info) == job.fingerprint else {
                throw WorkersError(.source, "\(job.source) changed after it was queued (ETag or size differs); queue it again")
            }
            // The file keeps the object's name: the presentation's stem comes from it.
            let name = Self.safeName(object.key)
            let local = folder.appendingPathComponent(name)
            try await client.download(info, to: local, isCancelled: isCancelled)
            return local
        }
        let (fingerprint, _) = try await Blocking.run("verify-source") { _ in try SourceIdentity.fingerprint(file: job.source) }
        guard fingerprint == job.fingerprint else {
            throw WorkersError(.source, "\(job.source) changed after it was queued (SHA-256 differs); queue it again")
        }
        return URL(fileURLWithPath: job.source)
    }

    /// The last path component of a key, usable as a file name.
    static func safeName(_ key: String) -> String {
        let last = key.split(separator: "/").last.map(String.init) ?? "source"
        let cleaned = String(last.map { $0 == "\0" ? "_" : $0 })
        return cleaned.hasPrefix(".") || cleaned.isEmpty ? "source" + cleaned : cleaned
    }
}
