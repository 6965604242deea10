import Foundation
import Logging
import PostgresNIO
import Publish
import Testing
import TestSupport
@testable import Workers
#if canImport(Glibc)
import Glibc
#endif

/// The queue against a real PostgreSQL (scripts/pg-server) and workers as real processes against SeaweedFS.
/// Serialized: each test starts its own database and up to three worker processes.
@Suite(.serialized)
struct QueueTests {
    // MARK: schema and queue statements

    @Test func initIsIdempotentAndNewerSchemaIsRefused() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let first = try await smoothpack(["queue", "init", "--queue", pg.url])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("upgraded from version 0 to \(Schema.current)"))
        let second = try await smoothpack(["queue", "init", "--queue", pg.url])
        #expect(second.status == 0)
        #expect(second.stdout.contains("up to date"))

        // A schema from a newer smoothpack: workers and status refuse it with one line.
        let psql = try External.run(["psql", pg.url, "-qc", "UPDATE smoothpack_schema SET version = 99"])
        #expect(psql.status == 0, "\(psql.stderr)")
        let status = try await smoothpack(["queue", "status", "--queue", pg.url])
        #expect(status.status == 1)
        #expect(status.stderr.contains("version 99, newer than this smoothpack knows"))
        let scratch = try TestPaths.temporaryDirectory("workers-schema")
        let worker = try WorkerProcess(name: "w-new", queue: pg.url, endpoint: try S3Server.endpoint(), scratch: scratch)
        let code = await worker.wait(timeout: 60)
        #expect(code == 1)
        #expect(worker.logText.contains("newer than this smoothpack knows"))
        let again = try await smoothpack(["queue", "init", "--queue", pg.url])
        #expect(again.status == 1)
    }

    @Test func queueURLHidesPasswordAndParsesSockets() throws {
        let u = try QueueURL(parsing: "postgres://bob:s3cret@db.example:6543/media?sslmode=require", environment: [:])
        #expect(u.host == "db.example" && u.port == 6543 && u.database == "media" && u.tls == .require)
        #expect(u.password == "s3cret")
        #expect(!u.description.contains("s3cret"))
        let s = try QueueURL(parsing: "postgres://bob@/media?host=/run/postgresql&port=5433", environment: [:])
        #expect(s.socketFolder == "/run/postgresql" && s.port == 5433 && s.host == nil)
        let e = try QueueURL(parsing: "postgresql://bob@%2Fvar%2Frun%2Fpg/media", environment: ["PGPASSWORD": "x"])
        #expect(e.socketFolder == "/var/run/pg" && e.password == "x")
        #expect(throws: WorkersError.self) { try QueueURL(parsing: "mysql://a@b/c", environment: [:]) }
        #expect(throws: WorkersError.self) { try QueueURL(parsing: "postgres://a@b:99999/c", environment: [:]) }
    }

    @Test func duplicateEnqueueIsOneJobAndClaimsFollowPriority() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        defer { Task { await q.close() } }
        func request(_ fp: String, _ priority: Int = 0) -> JobRequest {
            JobRequest(source: "s3://in/\(fp).mp4", fingerprint: fp, sourceSize: 10, profile: "fast",
                       destination: "s3://out/vod", priority: priority)
        }
        let a = try await q.add(request("a"))
        let again = try await q.add(request("a"))
        #expect(a.created && !again.created && a.id == again.id)
        // Same bytes under another name: the same job (the fingerprint is the identity).
        var renamed = request("a")
        renamed.source = "s3://in/renamed.mp4"
        #expect(try await q.add(renamed).id == a.id)
        // Another destination or profile: another job.
        var elsewhere = request("a")
        elsewhere.destination = "s3://out/other"
        #expect(try await q.add(elsewhere).id != a.id)
        let b = try await q.add(request("b", 5))
        let c = try await q.add(request("c", 5))
        #expect(try await q.status().counts["queued"] == 4)

        // Highest priority first, then oldest; each claim takes a different job and a new token.
        let first = try #require(try await q.claim(worker: "t1", lease: .seconds(30)))
        let second = try #require(try await q.claim(worker: "t2", lease: .seconds(30)))
        #expect(first.id == b.id && second.id == c.id)
        #expect(first.token == 1 && first.attempt == 1)

        // Fencing: a heartbeat with a stale token changes nothing.
        var stale = first
        stale.token = 0
        #expect(try await !q.heartbeat(stale, lease: .seconds(30), phase: "encoding", progress: 0.5))
        #expect(try await q.heartbeat(first, lease: .seconds(30), phase: "encoding", progress: 0.5))
        #expect(try await q.fence(first, lease: .seconds(30), phase: "publishing"))

        // An expired lease that no reaper has taken back: nobody else can hold the job, so its holder's fence
        // passes (and renews it: here to 1 ms again).
        #expect(try await q.heartbeat(second, lease: .milliseconds(1), phase: "encoding", progress: 0))
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await q.fence(second, lease: .milliseconds(1), phase: "publishing"))
        try await Task.sleep(for: .milliseconds(50))
        // Reaped (a new token): the old holder's fence and completion fail; the next claim gets a new token.
        #expect(try await q.reap() == 1)
        #expect(try await !q.fence(second, lease: .seconds(30), phase: "publishing"))
        #expect(try await !q.complete(second, result: "x"))
        let reclaimed = try #require(try await q.claim(worker: "t3", lease: .seconds(30)))
        #expect(reclaimed.id == second.id && reclaimed.token == second.token + 2 && reclaimed.attempt == 2)
        #expect(try await q.complete(reclaimed, result: "s3://out/vod/c.ism/Manifest"))

        // Failures: retried with backoff, then failed with the reason; retry resets; cancel stops.
        let failing = try #require(try await q.claim(worker: "t1", lease: .seconds(30)))
        #expect(try await q.fail(failing, reason: "bad media", retryDelay: .zero) == .queued)
        let failing2 = try #require(try await q.claim(worker: "t1", lease: .seconds(30)))
        #expect(failing2.id == failing.id)
        #expect(try await q.fail(failing2, reason: "bad media", retryDelay: .zero) == .queued)
        let failing3 = try #require(try await q.claim(worker: "t1", lease: .seconds(30)))
        #expect(try await q.fail(failing3, reason: "bad media", retryDelay: .zero) == .failed)
        let failed = try #require(try await q.job(failing.id))
        #expect(failed.state == .failed && failed.error == "bad media" && failed.attempts == 3)
        #expect(try await q.retry([failing.id]) == [failing.id])
        #expect(try await q.job(failing.id)?.state == .queued)
        #expect(try await q.cancel([failing.id, first.id]).sorted() == [failing.id, first.id].sorted())
        #expect(try await !q.heartbeat(first, lease: .seconds(30), phase: "encoding", progress: 0.9))
        let status = try await q.status()
        #expect(status.counts["cancelled"] == 2 && status.counts["done"] == 1)
    }

    // MARK: workers as processes

    /// Uploads `files` under `prefix/in/` and queues them with `queue add` (the CLI); returns the job ids.
    static func enqueue(_ files: [URL], prefix: String, pg: PostgresServer, attempts: Int = 3, priority: Int = 0,
                        client: S3Client) async throws -> [Int64] {
        var sources: [String] = []
        for f in files {
            let key = "\(prefix)/in/\(f.lastPathComponent)"
            try await S3Server.put(client, key: key, file: f)
            sources.append("s3://\(client.bucket)/\(key)")
        }
        let r = try await smoothpack(["queue", "add", "--queue", pg.url, "--endpoint-url", try S3Server.endpoint(),
                                "--to", "s3://\(client.bucket)/\(prefix)/out", "--profile", "fast",
                                "--attempts", "\(attempts)", "--priority", "\(priority)", "--json"] + sources)
        guard r.status == 0 else { throw FixtureError(message: "queue add: \(r.stdout) \(r.stderr)") }
        return r.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? Int64
                ?? ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? Int).map(Int64.init)
        }
    }

    /// Every job done, each by exactly one `done` event across the workers' logs, each presentation complete.
    static func expectAllDoneOnce(_ ids: [Int64], queue: JobQueue, workers: [WorkerProcess], client: S3Client) async throws {
        let jobs = try await queue.jobs().filter { ids.contains($0.id) }
        #expect(jobs.count == ids.count)
        for j in jobs {
            #expect(j.state == .done, "job \(j.id): \(j.state) \(j.error ?? "")")
        }
        let doneEvents = workers.flatMap(\.events).filter { $0.event == .done }
        for id in ids {
            let n = doneEvents.filter { $0.job == id }.count
            #expect(n == 1, "job \(id) done \(n) times")
        }
        for j in jobs {
            let ok = try await checkPublished(j.result ?? "", client: client)
            #expect(ok, "job \(j.id): presentation \(j.result ?? "-") incomplete")
        }
    }

    @Test func threeWorkersShareManyJobsEachDoneOnce() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("three")
        let files = try Clips.variants(of: try Clips.base.get(), count: 30, name: "clip")
        let ids = try await Self.enqueue(files, prefix: prefix, pg: pg, client: client)
        #expect(ids.count == 30)
        let scratch = try TestPaths.temporaryDirectory("workers-three")
        let endpoint = try S3Server.endpoint()
        let workers = try (1...3).map { try WorkerProcess(name: "w\($0)", queue: pg.url, endpoint: endpoint, scratch: scratch) }
        try await eventually("30 jobs done", timeout: 600) { try await q.status().counts["done"] == 30 }

        // Status while idle: nothing running; --json parses.
        let status = try await smoothpack(["queue", "status", "--queue", pg.url, "--json"])
        #expect(status.status == 0)
        let parsed = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect((parsed?["counts"] as? [String: Any])?["done"] as? Int == 30)

        // Graceful SIGTERM: exit 0, scratch cleaned.
        for w in workers { #expect(await w.stop() == 0, "\(w.name): \(w.logText.suffix(500))") }
        try await Self.expectAllDoneOnce(ids, queue: q, workers: workers, client: client)
        let claimedBy = Set(workers.filter { w in w.events.contains { $0.event == .done } }.map(\.name))
        #expect(claimedBy.count >= 2, "work was spread over \(claimedBy)")
        let left = (try? FileManager.default.subpathsOfDirectory(atPath: scratch.path)) ?? []
        #expect(!left.contains { $0.contains("job-") }, "scratch left: \(left)")
        await q.close()
        await clients.shutdown()
    }

    /// The claim's scratch filter: a job is claimed only when its need (source x 3 + 64 MiB) fits in the free
    /// bytes, or when it can never fit in the limit (claimed, to be refused with the reason); the best job that fits
    /// goes first, ahead of a better one that does not.
    @Test func claimsTakeOnlyJobsWhoseScratchFits() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        defer { Task { await q.close() } }
        let mib: Int64 = 1 << 20
        func request(_ fp: String, _ size: Int64, _ priority: Int) -> JobRequest {
            JobRequest(source: "s3://in/\(fp).mp4", fingerprint: fp, sourceSize: size, profile: "fast",
                       destination: "s3://out/vod", priority: priority)
        }
        let big = try await q.add(request("big", 100 * mib, 9))      // needs 364 MiB
        let small = try await q.add(request("small", 10 * mib, 1))   // needs 94 MiB
        #expect(ScratchNeed.forSource(100 * mib) == 364 * mib && ScratchNeed.forSource(-1) == 64 * mib)
        #expect(ScratchNeed.forSource(.max) == .max)
        let limit = 1024 * mib
        #expect(try await q.claim(worker: "t", lease: .seconds(30), scratch: (93 * mib, limit)) == nil)
        #expect(try await q.claim(worker: "t", lease: .seconds(30), scratch: (363 * mib, limit))?.id == small.id)
        #expect(try await q.claim(worker: "t", lease: .seconds(30), scratch: (363 * mib, limit)) == nil)
        // Over the limit: claimed whatever is free, so the worker fails it with the reason instead of leaving it.
        #expect(try await q.claim(worker: "t", lease: .seconds(30), scratch: (0, 363 * mib))?.id == big.id)
    }

    /// A worker whose scratch has room for one of the queued jobs does not claim a second one to hold while it
    /// waits for space: the second goes to another host with room. `full` runs 2 slots with a scratch limit of
    /// 100 MiB, and each job reserves its source 3 times over plus 64 MiB, so one job fits and two do not. The
    /// first job is the 40 s clip (the higher priority, so `full` claims it first): `roomy` starts once `full`
    /// runs it and has all of that encode to claim the second. Fails without the size filter of the claim (`full`
    /// claimed both at once and sat on the second until the first was done).
    @Test func aWorkerWithoutScratchForAJobLeavesItToAHostWithRoom() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        do {
            let prefix = S3Server.prefix("room")
            let first = try await Self.enqueue(try Clips.variants(of: try Clips.long.get(), count: 1, name: "room-long"),
                                               prefix: prefix, pg: pg, priority: 1, client: client)
            let second = try await Self.enqueue(try Clips.variants(of: try Clips.base.get(), count: 1, name: "room-short"),
                                                prefix: prefix, pg: pg, client: client)
            let ids = first + second
            #expect(ids.count == 2)
            let endpoint = try S3Server.endpoint()
            let full = try WorkerProcess(name: "full", queue: pg.url, endpoint: endpoint,
                                         scratch: try TestPaths.temporaryDirectory("workers-full"),
                                         extra: ["--jobs", "2", "--scratch-limit", "100M"])
            try await eventually("full claims the long job") {
                full.events.contains { $0.event == .claimed && $0.job == first.first }
            }
            var mostRunningOnFull = 0
            let roomy = try WorkerProcess(name: "roomy", queue: pg.url, endpoint: endpoint,
                                          scratch: try TestPaths.temporaryDirectory("workers-roomy"))
            try await eventually("both jobs done", timeout: 300) {
                let jobs = try await q.jobs().filter { ids.contains($0.id) }
                mostRunningOnFull = max(mostRunningOnFull, jobs.filter { $0.state == .running && $0.worker == "full" }.count)
                return jobs.allSatisfy { $0.state == .done }
            }
            #expect(mostRunningOnFull == 1, "full held \(mostRunningOnFull) jobs at once")
            let doneBy = { (w: WorkerProcess) in w.events.filter { $0.event == .done }.count }
            let doneOf = { (w: WorkerProcess) in Set(w.events.filter { $0.event == .done }.compactMap(\.job)) }
            #expect(doneOf(full) == Set(first) && doneOf(roomy) == Set(second),
                    "done by full: \(doneBy(full)), by roomy: \(doneBy(roomy))\n\(full.logText.suffix(800))")
            for w in [full, roomy] { #expect(await w.stop() == 0, "\(w.name): \(w.logText.suffix(500))") }
            try await Self.expectAllDoneOnce(ids, queue: q, workers: [full, roomy], client: client)
        } catch {
            Issue.record("\(error)")
        }
        await q.close()
        await clients.shutdown()
    }

    /// Waits until job `id` is running in `phase` on `worker`'s log/queue, then freezes the process.
    static func freezeDuring(_ phase: String, id: Int64, worker: WorkerProcess, queue: JobQueue) async throws {
        try await eventually("job \(id) in \(phase)") {
            phase == "publishing"
                // Publishing has started: the first fence passed and uploads are under way.
                ? worker.events.contains { $0.job == id && $0.event == .fenced && $0.phase == "start" }
                : worker.events.contains { $0.job == id && $0.event == .phase && $0.phase == phase }
        }
        worker.signal(SIGSTOP)
    }

    @Test func killedWorkerMidEncodeAndMidPublishIsReclaimedAndFinishesOnce() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("kill")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-kill")
        let files = try Clips.variants(of: try Clips.long.get(), count: 2, name: "long")

        // Mid-encode: frozen while encoding, then kill -9.
        let ids = try await Self.enqueue([files[0]], prefix: prefix, pg: pg, client: client)
        let a = try WorkerProcess(name: "a", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await Self.freezeDuring("encoding", id: ids[0], worker: a, queue: q)
        a.signal(SIGKILL)
        _ = await a.wait()

        // Mid-publish: uploads throttled through the fault proxy so they are still running at the kill.
        let proxy = try FaultProxy(upstream: endpoint, rate: 20_000)
        defer { proxy.stop() }
        // (Higher priority: c takes it, not the first job when that one's lease runs out.)
        let ids2 = try await Self.enqueue([files[1]], prefix: prefix, pg: pg, priority: 10, client: client)
        let c = try WorkerProcess(name: "c", queue: pg.url, endpoint: proxy.endpoint, scratch: scratch)
        try await Self.freezeDuring("publishing", id: ids2[0], worker: c, queue: q)
        c.signal(SIGKILL)
        _ = await c.wait()

        // Nothing of either is published yet (no .ism); a healthy worker takes both after their leases expire.
        let b = try WorkerProcess(name: "b", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await eventually("both jobs done") { try await q.status().counts["done"] == 2 }
        #expect(await b.stop() == 0)
        try await Self.expectAllDoneOnce(ids + ids2, queue: q, workers: [a, b, c], client: client)
        for id in ids + ids2 {
            #expect(try await q.job(id)?.attempts == 2)
            #expect(try await q.job(id)?.worker == "b")
        }
        #expect(b.events.contains { $0.event == .reaped })
        await q.close()
        await clients.shutdown()
    }

    @Test func staleWorkerCannotPublish() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("stale")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-stale")
        let files = try Clips.variants(of: try Clips.long.get(), count: 1, name: "stale")
        let ids = try await Self.enqueue(files, prefix: prefix, pg: pg, client: client)

        let a = try WorkerProcess(name: "a", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await Self.freezeDuring("encoding", id: ids[0], worker: a, queue: q)
        let b = try WorkerProcess(name: "b", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await eventually("job done by b") { try await q.job(ids[0])?.state == .done }
        // The paused worker wakes up: it must learn it lost the job and publish nothing.
        a.signal(SIGCONT)
        try await eventually("a notices the lost lease") { a.events.contains { $0.event == .leaseLost && $0.job == ids[0] } }
        #expect(await a.stop() == 0)
        #expect(await b.stop() == 0)
        let fromA = a.events.filter { $0.job == ids[0] }
        #expect(!fromA.contains { $0.event == .fenced || $0.event == .done }, "stale worker: \(fromA.map(\.event))")
        #expect(try await q.job(ids[0])?.worker == "b")
        try await Self.expectAllDoneOnce(ids, queue: q, workers: [a, b], client: client)
        await q.close()
        await clients.shutdown()
    }

    @Test func poisonSourceFailsAfterRetriesWhileOthersComplete() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("poison")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-poison")
        let poison = scratch.appendingPathComponent("poison.mp4")
        try Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: poison)
        let good = try Clips.variants(of: try Clips.base.get(), count: 3, name: "good")
        let ids = try await Self.enqueue([poison] + good, prefix: prefix, pg: pg, attempts: 2, client: client)
        let workers = try (1...2).map { try WorkerProcess(name: "p\($0)", queue: pg.url, endpoint: endpoint, scratch: scratch) }
        try await eventually("3 done, 1 failed") {
            let s = try await q.status()
            return s.counts["done"] == 3 && s.counts["failed"] == 1
        }
        for w in workers { #expect(await w.stop() == 0) }
        let failed = try #require(try await q.job(ids[0]))
        #expect(failed.state == .failed && failed.attempts == 2)
        let reason = failed.error ?? ""
        #expect(!reason.isEmpty && !reason.contains("\n") && reason.contains("poison.mp4"), "\(reason)")
        // It names the source as queued, not the worker's scratch copy.
        #expect(reason.contains("s3://") && !reason.contains("scratch-p"), "\(reason)")
        let status = try await smoothpack(["queue", "status", "--queue", pg.url])
        #expect(status.stdout.contains("#\(ids[0]) failed"))
        try await Self.expectAllDoneOnce(Array(ids.dropFirst()), queue: q, workers: workers, client: client)
        // retry puts it back with fresh attempts.
        let retry = try await smoothpack(["queue", "retry", "--queue", pg.url, "\(ids[0])"])
        #expect(retry.status == 0 && retry.stdout.contains("queued"))
        await q.close()
        await clients.shutdown()
    }

    /// A host whose S3 secret is wrong hands the job it claimed back without counting the attempt and stops with
    /// one line and exit 1; a healthy worker then does the job. (It used to spend every attempt of every job it
    /// could claim: one misconfigured host failed the whole queue.)
    @Test func aHostWithWrongCredentialsHandsItsJobBackAndStops() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("badhost")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-badhost")
        let ids = try await Self.enqueue(try Clips.variants(of: try Clips.base.get(), count: 1, name: "badhost"),
                                         prefix: prefix, pg: pg, attempts: 1, client: client)
        let bad = try WorkerProcess(name: "bad", queue: pg.url, endpoint: endpoint, scratch: scratch,
                                    environment: ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
        #expect(await bad.wait(timeout: 120) == 1, "\(bad.logText.suffix(800))")
        #expect(bad.logText.contains("S3 refuses its credentials") && bad.logText.contains("SignatureDoesNotMatch"),
                "\(bad.logText.suffix(800))")
        #expect(!bad.logText.contains("not-the-secret"))
        let job = try #require(try await q.jobs().first { $0.id == ids[0] })
        #expect(job.state == .queued && job.attempts == 0, "\(job.state) after \(job.attempts) attempts: \(job.error ?? "")")
        let good = try WorkerProcess(name: "good", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await eventually("the job done by the healthy worker") { (try? await q.status().counts["done"]) == 1 }
        #expect(await good.stop() == 0)
        try await Self.expectAllDoneOnce(ids, queue: q, workers: [bad, good], client: client)
        await q.close()
        await clients.shutdown()
    }

    /// A connection that goes silent (no FIN, no RST: a failover, a lost NAT entry; here the server process serving
    /// it is stopped with SIGSTOP) is given up after the answer timeout and closed, with an error that callers treat
    /// as a broken connection; the next statement reconnects. It used to be waited on for ever.
    @Test func aSilentConnectionIsGivenUpAndReplaced() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        await (try await pg.queue()).close()
        let db = Database(url: try QueueURL(parsing: pg.url), logger: Logger(label: "test"), answerTimeout: .seconds(2))
        _ = try await db.rows("SELECT 1")
        // This cluster's server processes for our connection (children of its postmaster).
        let cluster = try String(contentsOf: pg.directory.appendingPathComponent("cluster"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let postmaster = try String(contentsOfFile: cluster + "/data/postmaster.pid", encoding: .utf8)
            .split(separator: "\n").first.map(String.init) ?? ""
        let found = try External.run(["pgrep", "-P", postmaster, "-f", "smoothpack smoothpack"])
        let backends = found.stdout.split(separator: "\n").compactMap { Int32($0) }
        try #require(!backends.isEmpty, "no server process for the connection: \(found.stderr)")
        for pid in backends { kill(pid, SIGSTOP) }
        defer { for pid in backends { kill(pid, SIGCONT) } }
        do {
            _ = try await db.rows("SELECT 1")
            Issue.record("a query on a silent connection returned")
        } catch {
            #expect(Database.isConnectionFailure(error), "\(error)")
            #expect(Database.describe(error).contains("no answer from the database"), "\(Database.describe(error))")
        }
        let again = try await db.rows("SELECT 1")   // a new connection (a new server process)
        #expect(again.count == 1)
        await db.close()
    }

    /// A database that refuses this worker (no such database: the same class as a wrong user or password) ends
    /// it at once with one line and exit 1, where it used to wait for ever; a worker still waiting for a database
    /// that is down stops at once on SIGTERM, with exit 0 (it waited out its grace plus 30 s and exited 1).
    @Test func aRefusedLoginEndsTheWorkerAndSigtermEndsTheWaitForADownDatabase() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        await (try await pg.queue()).close()   // the schema in place (a queue must be closed before it goes)
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-refused")
        let noSuchDatabase = pg.url.replacingOccurrences(of: "/smoothpack?", with: "/no_such_database?")
        let refused = try WorkerProcess(name: "refused", queue: noSuchDatabase, endpoint: endpoint, scratch: scratch)
        #expect(await refused.wait(timeout: 60) == 1, "\(refused.logText.suffix(800))")
        #expect(refused.logText.contains("refused this worker") && refused.logText.contains("3D000"),
                "\(refused.logText.suffix(800))")
        #expect(!refused.events.contains { $0.event == .databaseRetry }, "a refusal was retried: \(refused.logText.suffix(800))")

        pg.stop()
        let waiting = try WorkerProcess(name: "waiting", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await eventually("the worker waits for the database", timeout: 60) {
            waiting.events.contains { $0.event == .databaseRetry }
        }
        waiting.signal(SIGTERM)
        // The hang guard is far below the old grace (20 s) + 30 s.
        #expect(await waiting.wait(timeout: 40) == 0, "\(waiting.logText.suffix(800))")
        #expect(waiting.events.last?.event == .stopped, "\(waiting.logText.suffix(800))")
    }

    /// A database outage longer than the lease, while a job with a single attempt is encoding: when the database
    /// is back, the holder renews its lease before any reaper takes the job (reapers wait a lease after they
    /// reach the database again), passes the fence and publishes; the job is done, not failed. (It failed: every
    /// lease had run out, and the fence and the reaper took that as a lost job.)
    @Test func anOutageLongerThanTheLeaseCostsNoAttempt() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        do {
            try await Self.outage(pg: pg, q: q, clients: clients)
        } catch {
            await q.close()
            await clients.shutdown()
            throw error
        }
    }

    private static func outage(pg: PostgresServer, q: JobQueue, clients: S3Clients) async throws {
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("outage")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-outage")
        let ids = try await Self.enqueue(try Clips.variants(of: try Clips.long.get(), count: 1, name: "outage"),
                                         prefix: prefix, pg: pg, attempts: 1, client: client)
        let workers = try (1...2).map { try WorkerProcess(name: "o\($0)", queue: pg.url, endpoint: endpoint, scratch: scratch) }
        try await eventually("the job encoding") {
            workers.contains { $0.events.contains { $0.job == ids[0] && $0.event == .phase && $0.phase == "encoding" } }
        }
        await q.close()
        try await pg.restart(downFor: 8)   // the lease is 3 s
        try await eventually("the job finished") {
            guard let state = try? await q.job(ids[0])?.state else { return false }
            return state == .done || state == .failed
        }
        let job = try #require(try await q.job(ids[0]))
        #expect(job.state == .done, "\(job.state): \(job.error ?? "")")
        for w in workers { #expect(await w.stop() == 0) }
        try await Self.expectAllDoneOnce(ids, queue: q, workers: workers, client: client)
        await q.close()
        await clients.shutdown()
    }

    @Test func postgresRestartWhileWorkersRunLosesNothing() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("restart")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-restart")
        let files = try Clips.variants(of: try Clips.base.get(), count: 6, name: "restart")
        let ids = try await Self.enqueue(files, prefix: prefix, pg: pg, client: client)
        let workers = try (1...2).map { try WorkerProcess(name: "r\($0)", queue: pg.url, endpoint: endpoint, scratch: scratch) }
        try await eventually("first job done") { try await q.status().counts["done"] ?? 0 >= 1 }
        try await pg.restart()
        await q.close()
        try await eventually("all 6 done after the restart") {
            (try? await q.status().counts["done"]) == 6
        }
        for w in workers { #expect(await w.stop() == 0) }
        try await Self.expectAllDoneOnce(ids, queue: q, workers: workers, client: client)
        // Both workers saw the database go away and came back (LISTEN re-established).
        for w in workers {
            #expect(w.events.filter { $0.event == .listening }.count >= 2, "\(w.name): \(w.logText.suffix(800))")
        }
        await q.close()
        await clients.shutdown()
    }

    @Test func watchS3QueuesEachObjectOnce() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("watch")
        let endpoint = try S3Server.endpoint()
        let files = try Clips.variants(of: try Clips.base.get(), count: 3, name: "w")
        try await S3Server.put(client, key: "\(prefix)/inbox/a.mp4", file: files[0])
        try await S3Server.put(client, key: "\(prefix)/inbox/b.mp4", file: files[1])
        try await S3Server.put(client, key: "\(prefix)/inbox/.hidden.mp4", file: files[1])
        // An upload in progress (multipart, not completed) is not listed, so not queued.
        let started = try await client.send("POST", key: "\(prefix)/inbox/uploading.mp4", query: [("uploads", "")])
        #expect(started.status == 200)
        let watch = ["queue", "watch-s3", "s3://\(client.bucket)/\(prefix)/inbox/", "--queue", pg.url, "--endpoint-url",
                     endpoint, "--to", "s3://\(client.bucket)/\(prefix)/out", "--profile", "fast", "--once"]
        let first = try await smoothpack(watch)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").count == 2, "\(first.stdout)")
        // A restarted watcher queues nothing again.
        let second = try await smoothpack(watch)
        #expect(second.status == 0 && second.stdout.isEmpty, "\(second.stdout)")
        // New bytes under an old key, and a new key: two new jobs.
        try await S3Server.put(client, key: "\(prefix)/inbox/a.mp4", file: files[2])
        try await S3Server.put(client, key: "\(prefix)/inbox/c.mp4", file: files[0])
        let third = try await smoothpack(watch)
        let lines = third.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(third.stdout)")
        // c.mp4 has a.mp4's old bytes: the same job as before (one job per source), reported as such.
        #expect(lines.contains { $0.contains("c.mp4") && $0.contains("already in the queue") })
        #expect(try await q.jobs().count == 3)
        await q.close()
        await clients.shutdown()
    }
}

/// scripts/s3-fault-proxy in front of the S3 server (throttled request bodies).
final class FaultProxy: Sendable {
    let process: Process
    let endpoint: String

    init(upstream: String, rate: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", TestPaths.repositoryRoot.appendingPathComponent("scripts/s3-fault-proxy").path,
                       "--upstream", upstream, "--rate", "\(rate)", "--methods", "PUT"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Int(port) != nil else { throw FixtureError(message: "s3-fault-proxy printed '\(port)'") }
        endpoint = "http://127.0.0.1:\(port)"
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
