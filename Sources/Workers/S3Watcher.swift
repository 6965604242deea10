internal import Foundation
public import Publish
public import ServiceLifecycle

/// `queue watch-s3`: lists `s3://bucket/prefix` every interval and queues each object once, keyed by
/// (bucket, key, ETag) in the database, so a restarted watcher (or two watchers) queue nothing twice and a
/// replaced object (new ETag) is a new job. S3 lists an object only once its upload completed, so no
/// partial upload is ever taken.
public final class S3Watcher: Service, Sendable {
    public struct Configuration: Sendable {
        public var inbox: S3Location
        public var destination: String
        public var profile: String
        public var priority: Int
        public var maxAttempts: Int
        public var interval: Duration
        /// Stop after one listing (for scripts and tests).
        public var once: Bool

        public init(inbox: S3Location, destination: String, profile: String, priority: Int = 0, maxAttempts: Int = 3,
                    interval: Duration = .seconds(30), once: Bool = false) {
            self.inbox = inbox
            self.destination = destination
            self.profile = profile
            self.priority = priority
            self.maxAttempts = maxAttempts
            self.interval = interval
            self.once = once
        }
    }

    /// One queued object.
    public struct Queued: Sendable, Equatable {
        public var key: String
        public var etag: String
        public var job: Int64
        public var created: Bool
    }

    let queue: JobQueue
    let client: S3Client
    let configuration: Configuration
    let onQueued: @Sendable (Queued) -> Void
    let onError: @Sendable (String) -> Void

    public init(queue: JobQueue, client: S3Client, configuration: Configuration,
                onQueued: @escaping @Sendable (Queued) -> Void, onError: @escaping @Sendable (String) -> Void) {
        self.queue = queue
        self.client = client
        self.configuration = configuration
        self.onQueued = onQueued
        self.onError = onError
    }

    public func run() async throws {
        try await queue.checkSchema()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await self.scan() } catch is CancellationError { return } catch {
                    self.onError((error as? WorkersError)?.message ?? "\(error)")
                }
                if self.configuration.once { return }
                try? await Task.sleep(for: self.configuration.interval)
            }
        }
    }

    /// One pass over the listing; returns what it queued.
    @discardableResult
    public func scan() async throws -> [Queued] {
        var out: [Queued] = []
        var token: String?
        let prefix = configuration.inbox.prefix.isEmpty ? "" : configuration.inbox.prefix + "/"
        repeat {
            let page = try await client.listObjects(prefix: prefix, continuation: token)
            for object in page.objects where Self.isCandidate(object) {
                try Task.checkCancellation()
                // Cheap test first; then the job (idempotent on the fingerprint), then the mark. A crash between
                // the two leaves the object unmarked, and the next pass finds its job already there.
                if try await queue.isSeen(bucket: client.bucket, key: object.key, etag: object.etag) { continue }
                let source = S3ObjectURL(bucket: client.bucket, key: object.key).description
                let r = try await queue.add(JobRequest(source: source, fingerprint: SourceIdentity.fingerprint(object),
                                                       sourceSize: object.size, profile: configuration.profile,
                                                       destination: configuration.destination,
                                                       priority: configuration.priority, maxAttempts: configuration.maxAttempts))
                try await queue.markSeen(bucket: client.bucket, key: object.key, etag: object.etag, job: r.id)
                let q = Queued(key: object.key, etag: object.etag, job: r.id, created: r.created)
                out.append(q)
                onQueued(q)
            }
            token = page.next
        } while token != nil
        return out
    }

    /// Not a folder marker, not empty, not a temporary or hidden name.
    static func isCandidate(_ o: S3ObjectInfo) -> Bool {
        guard o.size > 0, !o.key.hasSuffix("/") else { return false }
        let name = o.key.split(separator: "/").last.map(String.init) ?? ""
        if name.hasPrefix(".") || name.hasSuffix("~") { return false }
        return ![".part", ".tmp", ".crdownload", ".partial"].contains { name.lowercased().hasSuffix($0) }
    }
}
