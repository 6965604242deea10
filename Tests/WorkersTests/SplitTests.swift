import Foundation
import Platform
import Publish
import Testing
import TestSupport
@testable import Workers
#if canImport(Glibc)
import Glibc
#endif

/// Split encodes (docs/chunks.md) and `watch --queue`, against a real PostgreSQL and SeaweedFS, with workers as
/// real processes; every check of the output is made by ffprobe/ffmpeg or by reading the files' boxes.
@Suite(.serialized)
struct SplitTests {
    /// Two small rungs (B-frames on, so joins must carry reordered frames correctly) and stereo AAC.
    static let profile = """
        description: split-encode test ladder
        fragment_duration: 2
        video:
          codec: h264
          preset: ultrafast
          profile: main
          bframes: 2
          maxrate_factor: 1.5
          bufsize_factor: 2
          rungs:
            - { height: 144, bitrate: 200k }
            - { height: 96, bitrate: 100k }
        audio:
          codec: aac
          sample_rate: 48000
          channels: 2
          bitrate: 64k
        """

    /// A 2-minute source whose key frames (every 4.8 s, B-frames) never fall on a chunk boundary.
    static let source: Result<URL, FixtureError> = Clips.make(
        seconds: 120, size: "256x144", label: "two-minutes",
        video: ["-preset", "veryfast", "-bf", "3", "-g", "120", "-keyint_min", "120", "-sc_threshold", "0"])

    @Test func twoMinuteSourceInFourChunksOverThreeWorkersMatchesTheWholeEncode() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        // Connections and clients are closed on every way out (PostgresNIO and AsyncHTTPClient trap otherwise).
        do { try await splitEncode(pg, q, clients) } catch {
            await q.close()
            await clients.shutdown()
            throw error
        }
        await q.close()
        await clients.shutdown()
    }

    func splitEncode(_ pg: PostgresServer, _ q: JobQueue, _ clients: S3Clients) async throws {
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("split")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-split")
        let profile = scratch.appendingPathComponent("split-test.yaml")
        try Self.profile.write(to: profile, atomically: true, encoding: .utf8)
        let source = try Self.source.get()
        let key = "\(prefix)/in/\(source.lastPathComponent)"
        try await S3Server.put(client, key: key, file: source)

        // The same source twice: whole (--chunk-seconds 0) and in 30-second chunks. Two jobs, two versions.
        func add(_ seconds: Int) async throws -> Int64 {
            let r = try await smoothpack(["queue", "add", "--queue", pg.url, "--endpoint-url", endpoint,
                                    "--to", "s3://\(client.bucket)/\(prefix)/out", "--profile", profile.path,
                                    "--chunk-seconds", "\(seconds)", "--json", "s3://\(client.bucket)/\(key)"])
            guard r.status == 0, let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any],
                  let id = object["id"] as? Int else { throw FixtureError(message: "queue add: \(r.stdout) \(r.stderr)") }
            return Int64(id)
        }
        let whole = try await add(0)
        let split = try await add(30)
        #expect(whole != split)

        // The first three workers upload through a throttled proxy (200 kB/s per request body), so a chunk's part
        // upload lasts seconds: on a fast, idle machine a chunk of this small ladder encodes in about a second,
        // and polling for it could miss every one.
        let proxy = try FaultProxy(upstream: endpoint, rate: 200_000)
        defer { proxy.stop() }
        var workers = try (1...3).map { try WorkerProcess(name: "s\($0)", queue: pg.url, endpoint: proxy.endpoint, scratch: scratch) }
        // kill -9 the worker of a chunk while it encodes or uploads its part; a fourth worker replaces it.
        // (Frozen first, then checked: the chunk is still that worker's when the kill comes.)
        var victim: (job: JobSummary, worker: WorkerProcess)?
        try await eventually("a chunk job encoding or uploading", timeout: 600) {
            guard let job = try await q.jobs().first(where: {
                      $0.kind == .chunk && $0.state == .running && ["encoding", "uploading"].contains($0.phase ?? "")
                  }),
                  let worker = workers.first(where: { $0.name == job.worker }) else { return false }
            worker.signal(SIGSTOP)
            let now = try await q.job(job.id)
            if now?.state == .running && now?.worker == worker.name && now?.attempts == job.attempts {
                victim = (job, worker)
                return true
            }
            worker.signal(SIGCONT)
            return false
        }
        let (chunk, killed) = try #require(victim)
        killed.signal(SIGKILL)
        _ = await killed.wait()
        let killedToken = try #require(killed.events.last { $0.job == chunk.id && $0.event == .claimed }?.token,
                                       "the killed worker logged no claim of chunk \(chunk.id)")
        // Until that chunk is encoded again, the split waits; `queue status` shows it with the parts left.
        let status = try await smoothpack(["queue", "status", "--queue", pg.url])
        #expect(status.status == 0 && status.stdout.contains("#\(split) split ") && status.stdout.contains("waiting for"),
                "\(status.stdout)")
        let json = try await smoothpack(["queue", "status", "--queue", pg.url, "--json"])
        let waiting = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["waiting"]
        let entry = (waiting as? [[String: Any]])?.first { ($0["id"] as? Int).map(Int64.init) == split }
        #expect((entry?["pendingParts"] as? Int ?? 0) >= 1 && entry?["kind"] as? String == "join", "\(json.stdout)")
        workers.append(try WorkerProcess(name: "s4", queue: pg.url, endpoint: endpoint, scratch: scratch))

        try await eventually("both encodes done", timeout: 1500) {
            let jobs = try await q.jobs().filter { [whole, split].contains($0.id) }
            if let failed = jobs.first(where: { $0.state == .failed }) {
                throw FixtureError(message: "job \(failed.id) failed: \(failed.error ?? "?")")
            }
            return jobs.allSatisfy { $0.state == .done }
        }
        for w in workers where w !== killed { #expect(await w.stop() == 0, "\(w.name): \(w.logText.suffix(800))") }

        // The graph: four chunks and one audio part, all done, under the join; the killed chunk ran again
        // and what the join used came from the attempt that finished (its objects carry that token).
        let jobs = try await q.jobs()
        let parts = jobs.filter { $0.parentID == split }
        #expect(parts.filter { $0.kind == .chunk }.map { $0.part ?? -1 }.sorted() == [0, 1, 2, 3])
        #expect(parts.filter { $0.kind == .audio }.count == 1)
        #expect(parts.allSatisfy { $0.state == .done })
        #expect(jobs.first { $0.id == split }?.kind == .join)
        #expect(jobs.first { $0.id == whole }?.kind == .encode)
        let redone = try #require(parts.first { $0.id == chunk.id })
        #expect(redone.attempts >= 2)
        #expect(!(redone.result ?? "").contains(".t\(killedToken)\""), "the join used the killed attempt's upload")

        let wholeResult = try #require(jobs.first { $0.id == whole }?.result)
        let splitResult = try #require(jobs.first { $0.id == split }?.result)
        #expect(try await checkPublished(wholeResult, client: client))
        #expect(try await checkPublished(splitResult, client: client))
        let a = try await Self.download(wholeResult, client: client, into: scratch.appendingPathComponent("whole"))
        let b = try await Self.download(splitResult, client: client, into: scratch.appendingPathComponent("split"))
        #expect(a.lastPathComponent != b.lastPathComponent, "a split encode has its own version")

        // The work prefix is gone after the join.
        let work = try await client.listObjects(prefix: "\(prefix)/out/.smoothpack-work/")
        #expect(work.objects.isEmpty, "left in the work prefix: \(work.objects.map(\.key))")

        // A join whose outcome was lost after it published (and removed the parts) runs again: it finds the
        // version published and is done with the same result, without the parts; had it stopped before the
        // policy files, it writes them.
        let policyKeys = ["clientaccesspolicy.xml", "crossdomain.xml"].map { "\(prefix)/out/\($0)" }
        for key in policyKeys {
            #expect(try await client.headObject(key) != nil, "\(key) not published")
            _ = try await client.send("DELETE", key: key)
            #expect(try await client.headObject(key) == nil)
        }
        let requeue = try External.run(["psql", pg.url, "-qc",
                                        "UPDATE smoothpack_jobs SET state = 'queued', result = NULL WHERE id = \(split)"])
        #expect(requeue.status == 0, "\(requeue.stderr)")
        let again = try WorkerProcess(name: "s5", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await eventually("the join done again", timeout: 600) {
            let join = try await q.job(split)
            if join?.state == .failed { throw FixtureError(message: "the join failed: \(join?.error ?? "?")") }
            return join?.state == .done
        }
        #expect(await again.stop() == 0)
        #expect(try await q.job(split)?.result == splitResult)
        #expect(!again.events.contains { $0.phase == "fetching parts" })
        for key in policyKeys { #expect(try await client.headObject(key) != nil, "\(key) not written again") }

        // Same files (the upload manifest's objects, published in its order), same manifests' fragment times, same
        // frames and IDRs; both decode cleanly.
        let files = try FileManager.default.contentsOfDirectory(atPath: a.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.path).sorted() == files)
        for name in ["mpd", "m3u8", "ism", "ismc"] { #expect(files.contains { $0.hasSuffix(".\(name)") }, "no .\(name)") }
        let ismc = files.first { $0.hasSuffix(".ismc") } ?? "-"
        let chunksA = try Self.fragmentTimes(a.appendingPathComponent(ismc))
        let chunksB = try Self.fragmentTimes(b.appendingPathComponent(ismc))
        #expect(chunksA.count > 100 && chunksA == chunksB, "fragment times differ")

        let rungs = files.filter { $0.hasSuffix(".ismv") }
        #expect(rungs.count == 2)
        for rung in rungs + files.filter({ $0.hasSuffix(".isma") }) {
            for folder in [a, b] {
                let boxes = try Self.topLevelBoxes(folder.appendingPathComponent(rung))
                #expect(boxes.filter { $0 == "moov" }.count == 1, "\(folder.lastPathComponent)/\(rung): \(boxes.count) boxes")
                let decode = try External.run(["ffmpeg", "-v", "error", "-i", folder.appendingPathComponent(rung).path,
                                               "-f", "null", "-"], timeout: 600)
                #expect(decode.status == 0 && decode.stderr.isEmpty, "\(rung): \(decode.stderr.prefix(500))")
            }
        }
        for rung in rungs {
            let framesA = try Self.frames(a.appendingPathComponent(rung))
            let framesB = try Self.frames(b.appendingPathComponent(rung))
            #expect(framesA.count == 3000, "\(rung): \(framesA.count) frames in the whole encode")
            #expect(framesB.map(\.pts) == framesA.map(\.pts), "\(rung): frame times differ")
            #expect(framesB.map(\.key) == framesA.map(\.key), "\(rung): key frames differ")
            // No repeated or missing frame: one frame duration between consecutive frames, throughout.
            let steps = Set(zip(framesB.dropFirst(), framesB).map { $0.0.pts - $0.1.pts })
            #expect(steps.count == 1, "\(rung): frame steps \(steps)")
            let keys = framesB.enumerated().filter { $0.element.key }.map(\.offset)
            #expect(keys == Array(stride(from: 0, to: 3000, by: 50)), "\(rung): IDRs off the 2 s grid")

            let psnrA = try Self.psnr(a.appendingPathComponent(rung), source: source)
            let psnrB = try Self.psnr(b.appendingPathComponent(rung), source: source)
            #expect(abs(psnrA - psnrB) <= 0.2, "\(rung): PSNR whole \(psnrA) dB, split \(psnrB) dB")
        }
        try await Self.playersPlay(b, ismc: ismc)
    }

    /// Real players over HTTP from `smoothpack serve` on the split presentation: GStreamer's mssdemux plays the
    /// top video level and the audio to the end; ffmpeg decodes the MPD's and the HLS playlist's first video
    /// representation completely.
    static func playersPlay(_ version: URL, ismc: String) async throws {
        let root = version.deletingLastPathComponent()
        let server = try BackgroundProcess(["serve", root.path, "--port", "0"],
                                           log: root.appendingPathComponent("serve.log"))
        defer { _ = server.process.isRunning ? kill(server.process.processIdentifier, SIGKILL) : 0 }
        var base: String?
        try await eventually("serve listening", timeout: 60) {
            base = server.logText.components(separatedBy: "serving ").dropFirst().first?
                .components(separatedBy: " at ").dropFirst().first?.components(separatedBy: "/ ").first
            return base != nil
        }
        let url = "\(base ?? "")/\(version.lastPathComponent)/\(ismc.dropLast(5))"
        let gst = try External.run([
            "gst-launch-1.0", "-m", "souphttpsrc", "location=\(url).ism/Manifest", "!", "mssdemux", "name=d",
            "d.video_00", "!", "queue", "!", "decodebin", "!", "fakesink", "sync=false",
            "d.audio_00", "!", "queue", "!", "decodebin", "!", "fakesink", "sync=false",
        ], timeout: 600)
        let output = gst.stdout + gst.stderr
        #expect(gst.status == 0 && output.contains("Got EOS from element \"pipeline0\""),
                "mssdemux on the split presentation: \(output.suffix(1500))")
        #expect(!output.contains("ERROR:"), "mssdemux: \(output.suffix(1500))")
        for playlist in ["\(url).mpd", "\(url).m3u8"] {
            let hls = playlist.hasSuffix(".m3u8") ? ["-allowed_segment_extensions", "ALL"] : []
            let r = try External.run(["ffmpeg", "-nostdin", "-v", "error"] + hls + ["-i", playlist, "-map", "0:v:0",
                                      "-f", "framecrc", "-"], timeout: 600)
            let frames = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
            #expect(r.status == 0 && r.stderr.isEmpty && frames == 3000, "ffmpeg \(playlist): \(frames) frames, \(r.stderr.prefix(500))")
        }
        _ = await server.stop()
    }

    @Test func watchQueueEnqueuesEachSettledFileOnceAndWorkersPublishIt() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        // Connections and clients are closed on every way out (PostgresNIO and AsyncHTTPClient trap otherwise).
        do { try await watchQueue(pg, q, clients) } catch {
            await q.close()
            await clients.shutdown()
            throw error
        }
        await q.close()
        await clients.shutdown()
    }

    func watchQueue(_ pg: PostgresServer, _ q: JobQueue, _ clients: S3Clients) async throws {
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("watchq")
        let endpoint = try S3Server.endpoint()
        let scratch = try TestPaths.temporaryDirectory("workers-watchq")
        let inbox = scratch.appendingPathComponent("inbox", isDirectory: true)
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let clips = try Clips.variants(of: try Clips.base.get(), count: 3, name: "dropped")
        let arguments = ["watch", inbox.path, "--queue", pg.url, "--to", "s3://\(client.bucket)/\(prefix)/out",
                         "--profile", "fast", "--settle", "2", "--rescan", "1",
                         "--state", scratch.appendingPathComponent("state.sqlite").path]
        var watcher = try BackgroundProcess(arguments, log: scratch.appendingPathComponent("watch-1.log"))

        // One file copied at once; one written in pieces (pauses shorter than --settle): queued once, complete.
        try FileManager.default.copyItem(at: clips[0], to: inbox.appendingPathComponent("a.mp4"))
        let bytes = try Data(contentsOf: clips[1])
        let slow = inbox.appendingPathComponent("b.mp4")
        _ = FileManager.default.createFile(atPath: slow.path, contents: nil)
        let handle = try FileHandle(forWritingTo: slow)
        let piece = bytes.count / 4 + 1
        for start in stride(from: 0, to: bytes.count, by: piece) {
            try handle.write(contentsOf: bytes[start..<min(bytes.count, start + piece)])
            try await Task.sleep(for: .milliseconds(400))
        }
        try handle.close()

        let worker = try WorkerProcess(name: "wq", queue: pg.url, endpoint: endpoint, scratch: scratch)
        try await eventually("two dropped files published", timeout: 600) {
            let jobs = try await q.jobs()
            if let failed = jobs.first(where: { $0.state == .failed }) {
                throw FixtureError(message: "job \(failed.id) failed: \(failed.error ?? "?")")
            }
            return jobs.filter { $0.state == .done }.count == 2
        }
        var jobs = try await q.jobs()
        #expect(jobs.count == 2)
        for (name, clip) in [("a.mp4", clips[0]), ("b.mp4", clips[1])] {
            let digest = "sha256:" + Digests.hex(try Digests.file(atPath: clip.path).sha256)
            let matching = jobs.filter { $0.source.hasSuffix("/" + name) }
            #expect(matching.count == 1, "\(name) queued \(matching.count) times")
            let job = try #require(matching.first)
            #expect(try await q.fingerprint(of: job.id) == digest, "\(name) was queued before it was complete")
            #expect(try await checkPublished(job.result ?? "", client: client), "\(name) not published")
        }

        // A restarted watcher queues nothing again; a new file is queued (and by then the old ones were rescanned).
        #expect(await watcher.stop() == 0, "\(watcher.logText.suffix(500))")
        watcher = try BackgroundProcess(arguments, log: scratch.appendingPathComponent("watch-2.log"))
        try FileManager.default.copyItem(at: clips[2], to: inbox.appendingPathComponent("c.mp4"))
        try await eventually("c.mp4 queued and done", timeout: 600) {
            try await q.jobs().contains { $0.source.hasSuffix("/c.mp4") && $0.state == .done }
        }
        jobs = try await q.jobs()
        #expect(jobs.count == 3, "jobs: \(jobs.map(\.source))")
        #expect(await watcher.stop() == 0)
        #expect(await worker.stop() == 0)
    }

    /// The job graph in SQL alone (no workers): a split turns the job into a waiting join with its parts; the
    /// last part done queues the join; a part that fails for good fails the join with its reason and cancels
    /// the queued parts; `retry` starts the split again; `cancel` takes the parts with it; a stale part (its
    /// lease reclaimed) counts nothing off.
    @Test func jobGraphCountsPartsAndPropagatesFailure() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        do { try await jobGraph(q) } catch {
            await q.close()
            throw error
        }
        await q.close()
    }

    func jobGraph(_ q: JobQueue) async throws {
        func request(_ fp: String) -> JobRequest {
            JobRequest(source: "s3://in/\(fp).mp4", fingerprint: fp, sourceSize: 10, profile: "fast",
                       destination: "s3://out/vod", maxAttempts: 2, chunkSeconds: 30)
        }
        // The chunk length is part of the identity.
        let a = try await q.add(request("a"))
        var whole = request("a")
        whole.chunkSeconds = 0
        #expect(try await q.add(whole).id != a.id)
        #expect(try await q.add(request("a")).id == a.id)
        _ = try await q.cancel([try await q.add(whole).id])

        let job = try #require(try await q.claim(worker: "t", lease: .seconds(30)))
        #expect(job.id == a.id && job.kind == .encode && job.chunkSeconds == 30)
        #expect(try await q.split(job, plan: "{}", chunks: 2, audio: true))
        #expect(try await !q.split(job, plan: "{}", chunks: 2, audio: true), "a split happens once")
        var status = try await q.status()
        #expect(status.waiting.map(\.id) == [a.id] && status.waiting.first?.pendingParts == 3)
        #expect(status.counts["queued"] == 3)

        // Two parts done: the join still waits; a stale holder of the third counts nothing.
        var parts: [ClaimedJob] = []
        for _ in 0..<3 { parts.append(try #require(try await q.claim(worker: "p", lease: .seconds(30)))) }
        #expect(Set(parts.map(\.kind)) == [.chunk, .audio] && parts.allSatisfy { $0.parentID == a.id && $0.split == "{}" })
        #expect(try await q.completePart(parts[0], result: "{\"objects\":[],\"encodeSeconds\":1}"))
        #expect(try await q.completePart(parts[1], result: "{\"objects\":[],\"encodeSeconds\":1}"))
        var stale = parts[2]
        stale.token -= 1
        #expect(try await !q.completePart(stale, result: "{}"))
        #expect(try await q.job(a.id)?.state == .waiting)
        #expect(try await q.completePart(parts[2], result: "{\"objects\":[],\"encodeSeconds\":1}"))
        let join = try #require(try await q.claim(worker: "j", lease: .seconds(30)))
        #expect(join.id == a.id && join.kind == .join && join.split == "{}")
        #expect(try await q.partResults(of: a.id).count == 3)
        #expect(try await q.complete(join, result: "s3://out/vod/a/v/a.ism/Manifest"))

        // A part that fails its last attempt fails the join with its reason; the queued part is cancelled.
        let b = try await q.add(request("b"))
        let bJob = try #require(try await q.claim(worker: "t", lease: .seconds(30)))
        #expect(bJob.id == b.id)
        #expect(try await q.split(bJob, plan: "{}", chunks: 2, audio: false))
        for attempt in 1...2 {
            let part = try #require(try await q.claim(worker: "p", lease: .seconds(30)))
            #expect(part.kind == .chunk && part.part == 0 && part.attempt == attempt)
            _ = try await q.fail(part, reason: "chunk broke", retryDelay: .zero)
        }
        let failed = try #require(try await q.job(b.id))
        #expect(failed.state == .failed && (failed.error ?? "").contains("chunk 0: chunk broke"), "\(failed)")
        #expect(try await q.jobs().filter { $0.parentID == b.id }.map(\.state).sorted { $0.rawValue < $1.rawValue }
                == [.cancelled, .failed])

        // Retry starts the split again from the source; cancel takes the parts with it.
        #expect(try await q.retry([b.id]) == [b.id])
        #expect(try await q.jobs().filter { $0.parentID == b.id }.isEmpty)
        let again = try #require(try await q.claim(worker: "t", lease: .seconds(30)))
        #expect(again.id == b.id && again.kind == .encode)
        #expect(try await q.split(again, plan: "{}", chunks: 3, audio: true))
        #expect(try await q.cancel([b.id]) == [b.id])
        #expect(try await q.jobs().filter { $0.parentID == b.id }.allSatisfy { $0.state == .cancelled })
        status = try await q.status()
        #expect(status.waiting.isEmpty && status.counts["queued"] == 0)

        // Cancelling one part cancels its whole split: the join would otherwise wait for it for ever.
        let c = try await q.add(request("c"))
        let cJob = try #require(try await q.claim(worker: "t", lease: .seconds(30)))
        #expect(cJob.id == c.id)
        #expect(try await q.split(cJob, plan: "{}", chunks: 2, audio: false))
        let part = try #require(try await q.jobs().first { $0.parentID == c.id })
        #expect(try await q.cancel([part.id]) == [part.id])
        #expect(try await q.job(c.id)?.state == .cancelled)
        #expect(try await q.jobs().filter { $0.parentID == c.id }.allSatisfy { $0.state == .cancelled })
    }

    // MARK: helpers

    /// Downloads every object of the presentation folder of `playback` into `folder/<version>/`.
    static func download(_ playback: String, client: S3Client, into folder: URL) async throws -> URL {
        let ism = String(playback.dropFirst("s3://\(client.bucket)/".count).dropLast("/Manifest".count))
        let prefix = ism.split(separator: "/").dropLast().joined(separator: "/") + "/"
        let version = prefix.split(separator: "/").last.map(String.init) ?? "version"
        let target = folder.appendingPathComponent(version, isDirectory: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        for object in try await client.listObjects(prefix: prefix).objects {
            try await client.download(object, to: target.appendingPathComponent(String(object.key.dropFirst(prefix.count))))
        }
        return target
    }

    /// Every `<StreamIndex …>` and `<c …>` tag of the client manifest, in order: the streams and their fragments.
    static func fragmentTimes(_ ismc: URL) throws -> [String] {
        let text = try String(contentsOf: ismc, encoding: .utf8)
        return text.split(separator: "<").map { "<" + ($0.split(separator: ">").first.map(String.init) ?? "") + ">" }
            .filter { $0.hasPrefix("<c ") || $0.hasPrefix("<StreamIndex ") }
    }

    /// Top-level box types of an MP4 file.
    static func topLevelBoxes(_ file: URL) throws -> [String] {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var types: [String] = []
        var offset: UInt64 = 0
        let end = try handle.seekToEnd()
        while offset + 8 <= end {
            try handle.seek(toOffset: offset)
            let header = [UInt8](try handle.read(upToCount: 16) ?? Data())
            guard header.count >= 8 else { break }
            var size = header[0..<4].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if size == 1, header.count == 16 { size = header[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
            guard size >= 8 else { throw FixtureError(message: "\(file.lastPathComponent): box of size \(size) at \(offset)") }
            types.append(String(decoding: header[4..<8], as: UTF8.self))
            offset += size
        }
        #expect(offset == end, "\(file.lastPathComponent): boxes end at \(offset) of \(end)")
        return types
    }

    /// Decoded video frames in presentation order: their timestamps and whether each is a key frame.
    static func frames(_ file: URL) throws -> [(pts: Int64, key: Bool)] {
        let r = try External.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                  "frame=best_effort_timestamp,key_frame", "-of", "csv=p=0", file.path], timeout: 600)
        guard r.status == 0 else { throw FixtureError(message: "ffprobe \(file.lastPathComponent): \(r.stderr)") }
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ",")
            guard f.count >= 2, let key = Int(f[0]), let pts = Int64(f[1]) else { return nil }
            return (pts, key == 1)
        }
    }

    /// Average PSNR (dB) of a rung against the source scaled to the rung's size (ffmpeg's psnr filter).
    static func psnr(_ rung: URL, source: URL) throws -> Double {
        let probe = try External.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                      "stream=width,height", "-of", "csv=p=0", rung.path])
        let size = probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        guard size.count == 2 else { throw FixtureError(message: "ffprobe size: \(probe.stdout) \(probe.stderr)") }
        let r = try External.run(["ffmpeg", "-v", "info", "-nostats", "-i", rung.path, "-i", source.path, "-lavfi",
                                  "[1:v]scale=\(size[0]):\(size[1]):flags=bicubic[ref];[0:v][ref]psnr", "-f", "null", "-"],
                                 timeout: 900)
        guard let line = r.stderr.split(separator: "\n").last(where: { $0.contains("PSNR") && $0.contains("average:") }),
              let range = line.range(of: "average:") else {
            throw FixtureError(message: "no PSNR from ffmpeg: \(r.stderr.suffix(500))")
        }
        let value = line[range.upperBound...].prefix { $0 != " " }
        guard let db = Double(value) else { throw FixtureError(message: "PSNR '\(value)'") }
        return db
    }
}

/// A `smoothpack` subcommand running in the background with S3 test credentials; its output goes to `log`.
final class BackgroundProcess: Sendable {
    let process: Process
    let log: URL

    init(_ arguments: [String], log: URL) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try TestPaths.smoothpackBinary)
        p.arguments = arguments
        p.environment = S3Server.environment
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGTERM and wait (hang guard 60 s, then SIGKILL and nil).
    func stop() async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }
}
