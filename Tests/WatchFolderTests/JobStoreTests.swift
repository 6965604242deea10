import Foundation
import Testing
import TestSupport
@testable import WatchFolder

@Suite struct JobStoreTests {
    let directory: URL
    let path: String

    init() throws {
        directory = try TestPaths.temporaryDirectory("jobstore")
        path = directory.appendingPathComponent("state.sqlite").path
    }

    func fingerprint(_ n: Int64, hash: String = "abc") -> Fingerprint {
        Fingerprint(size: 1000 + n, modificationTime: 1_700_000_000_000_000_000 + n, edgeHash: hash)
    }

    @Test func stateMachineQueuedRunningDone() async throws {
        let store = try SQLiteJobStore(path: path)
        let t0 = Date(timeIntervalSince1970: 1_000)
        let created = try await store.enqueue(source: "a/clip.mp4", fingerprint: fingerprint(1), at: t0)
        guard case .created(let job) = created else { Issue.record("expected a new job"); return }
        #expect(job.state == .queued && job.attempts == 0 && job.source == "a/clip.mp4")

        let claimed = try #require(try await store.claimNext(at: t0))
        #expect(claimed.id == job.id && claimed.state == .running && claimed.attempts == 1 && claimed.startedAt == t0)
        #expect(try await store.claimNext(at: t0) == nil)

        let done = try await store.complete(id: job.id, outputPrefix: "a/clip/v1/", playbackPath: "a/clip/v1/clip.ism/Manifest",
                                            at: t0.addingTimeInterval(5))
        #expect(done.state == .done && done.outputPrefix == "a/clip/v1/" && done.finishedAt == t0.addingTimeInterval(5))

        // Only a running job can be completed, failed or requeued.
        await #expect(throws: JobStoreError.wrongState(id: job.id, expected: .running, actual: .done)) {
            _ = try await store.fail(id: job.id, error: "x", at: t0)
        }
        await #expect(throws: JobStoreError.noSuchJob(id: 99)) {
            _ = try await store.complete(id: 99, outputPrefix: "", playbackPath: "", at: t0)
        }
    }

    @Test func sameFingerprintIsOneJobEvenWhenRenamed() async throws {
        let store = try SQLiteJobStore(path: path)
        let now = Date()
        let first = try await store.enqueue(source: "clip.mp4", fingerprint: fingerprint(1), at: now).job
        // Renamed while queued: the job follows the file.
        let renamed = try await store.enqueue(source: "renamed.mp4", fingerprint: fingerprint(1), at: now)
        #expect(renamed == .existing(Job(id: first.id, source: "renamed.mp4", fingerprint: fingerprint(1), state: .queued,
                                         createdAt: first.createdAt, updatedAt: now)))
        let job = try #require(try await store.claimNext(at: now))
        _ = try await store.complete(id: job.id, outputPrefix: "p/", playbackPath: "p/m", at: now)
        // Done, then seen again under another name: still that one done job.
        let again = try await store.enqueue(source: "third-name.mp4", fingerprint: fingerprint(1), at: now)
        #expect(again.job.id == first.id && again.job.state == .done && again.job.source == "renamed.mp4")
        // A changed file (other size/mtime/hash) is a new job.
        let changed = try await store.enqueue(source: "renamed.mp4", fingerprint: fingerprint(1, hash: "def"), at: now)
        guard case .created(let newJob) = changed else { Issue.record("a changed file is a new job"); return }
        #expect(newJob.id != first.id)
        #expect(try await store.allJobs().count == 2)
    }

    @Test func retriesCountAttemptsAndRespectBackoff() async throws {
        let store = try SQLiteJobStore(path: path)
        let t0 = Date(timeIntervalSince1970: 10_000)
        let job = try await store.enqueue(source: "clip.mp4", fingerprint: fingerprint(1), at: t0).job
        _ = try await store.claimNext(at: t0)
        let retry = try await store.requeue(id: job.id, error: "disk full", notBefore: t0.addingTimeInterval(10),
                                            refundAttempt: false, at: t0)
        #expect(retry.state == .queued && retry.attempts == 1 && retry.error == "disk full")
        #expect(try await store.claimNext(at: t0.addingTimeInterval(9)) == nil)
        let second = try #require(try await store.claimNext(at: t0.addingTimeInterval(10)))
        #expect(second.attempts == 2 && second.notBefore == nil)
        // A run cut short by shutdown gives its attempt back.
        let refunded = try await store.requeue(id: job.id, error: nil, notBefore: nil, refundAttempt: true, at: t0)
        #expect(refunded.attempts == 1 && refunded.error == "disk full")
        _ = try await store.claimNext(at: t0)
        let failed = try await store.fail(id: job.id, error: "bad media", at: t0)
        #expect(failed.state == .failed && failed.error == "bad media")
        #expect(try await store.claimNext(at: t0.addingTimeInterval(1_000)) == nil)
    }

    @Test func runningJobsAreRequeuedWhenReopened() async throws {
        var ids: [Int64] = []
        do {
            let store = try SQLiteJobStore(path: path, exclusive: true)
            for n in 1...3 { ids.append(try await store.enqueue(source: "c\(n).mp4", fingerprint: fingerprint(Int64(n)), at: Date()).job.id) }
            _ = try await store.claimNext(at: Date())
            let second = try #require(try await store.claimNext(at: Date()))
            _ = try await store.complete(id: second.id, outputPrefix: "x/", playbackPath: "x/m", at: Date())
            _ = try await store.claimNext(at: Date())
            // A second daemon on the same database is refused.
            #expect(throws: JobStoreError.locked(path: path)) { _ = try SQLiteJobStore(path: path, exclusive: true) }
            // The process "dies" here with jobs 1 and 3 running.
        }
        let reopened = try SQLiteJobStore(path: path, exclusive: true)
        let requeued = try await reopened.requeueInterrupted(at: Date())
        #expect(requeued.map(\.id) == [ids[0], ids[2]])
        let states = try await reopened.allJobs().map(\.state)
        #expect(states == [.queued, .done, .queued])
        #expect(try await reopened.claimNext(at: Date())?.attempts == 2)
    }

    @Test func discardRemovesUnfinishedJobsOnly() async throws {
        let store = try SQLiteJobStore(path: path)
        let job = try await store.enqueue(source: "a.mp4", fingerprint: fingerprint(1), at: Date()).job
        try await store.discard(id: job.id)
        #expect(try await store.job(id: job.id) == nil)
        let again = try await store.enqueue(source: "a.mp4", fingerprint: fingerprint(1), at: Date())
        guard case .created = again else { Issue.record("a discarded file comes back as a new job"); return }
        _ = try await store.claimNext(at: Date())
        _ = try await store.complete(id: again.job.id, outputPrefix: "", playbackPath: "", at: Date())
        await #expect(throws: JobStoreError.self) { try await store.discard(id: again.job.id) }
    }

    @Test func databaseIsInWALMode() async throws {
        _ = try SQLiteJobStore(path: path)
        let mode = try External.run(["sqlite3", path, "PRAGMA journal_mode;"])
        #expect(mode.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "wal")
    }
}

@Suite struct FingerprintTests {
    @Test func fingerprintFollowsContentsNotNames() throws {
        let dir = try TestPaths.temporaryDirectory("fingerprint")
        let a = dir.appendingPathComponent("a.bin")
        var bytes = [UInt8](repeating: 7, count: 300_000)
        try Data(bytes).write(to: a)
        let fa = try Fingerprint.compute(path: a.path)
        #expect(fa.size == 300_000 && fa.edgeHash.count == 64)

        let b = dir.appendingPathComponent("renamed.bin")
        try FileManager.default.moveItem(at: a, to: b)
        #expect(try Fingerprint.compute(path: b.path) == fa)

        // A change in the tail (same size, same mtime forced back) changes the hash.
        bytes[299_000] = 8
        try Data(bytes).write(to: b)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(fa.modificationTime) / 1e9)],
                                              ofItemAtPath: b.path)
        let changedTail = try Fingerprint.compute(path: b.path)
        #expect(changedTail.edgeHash != fa.edgeHash)

        // The middle is not hashed (that is the price of fingerprinting large files quickly), but size and
        // mtime usually catch such a change; here the mtime differs.
        bytes[150_000] = 9
        try Data(bytes).write(to: b)
        #expect(try Fingerprint.compute(path: b.path) != changedTail)

        // Small files are hashed whole.
        let small = dir.appendingPathComponent("small.bin")
        try Data([1, 2, 3]).write(to: small)
        #expect(try Fingerprint.compute(path: small.path).size == 3)
    }
}
