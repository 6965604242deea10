import Foundation
import SmoothPack
import WatchFolder
import Workers

/// `watch --queue`: a settled file is queued for the workers instead of being encoded here. Workers read it
/// where it is, so the inbox must be on storage that every worker mounts at the same path, and the file stays
/// in place (`--on-success keep`). A database that cannot be reached is a transient failure (retried with
/// backoff); a file that vanished or cannot be read fails like any bad source.
struct QueueingEncoder: SourceEncoder {
    let queue: JobQueue
    let profile: String
    let destination: String
    let priority: Int
    let attempts: Int

    func encode(source: URL, into outDir: URL) async throws -> EncodedSource {
        let path = source.standardizedFileURL.path
        let identity: (source: String, fingerprint: String, size: Int64)
        do { identity = try await SourceIdentity.describe(path, clients: nil) } catch {
            throw PipelineError(source: path, stage: .read, message: "\(error)")
        }
        do {
            let r = try await queue.add(JobRequest(source: identity.source, fingerprint: identity.fingerprint,
                                                   sourceSize: identity.size, profile: profile, destination: destination,
                                                   priority: priority, maxAttempts: attempts))
            return EncodedSource(prefix: "queue/job-\(r.id)", playbackPath: "queue job \(r.id)", created: r.created)
        } catch {
            throw PipelineError(source: path, stage: .publish, message: "\(error)", isTransient: true)
        }
    }
}
