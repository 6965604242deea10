import Foundation
import SmoothManifest
import Synchronization
import Testing
import TestSupport
@testable import Publish
#if canImport(Glibc)
import Glibc
#endif

/// `scripts/s3-fault-proxy` in front of the test server.
final class FaultProxy {
    let process: Process
    let endpoint: String
    let log: URL

    init(plan: [String], methods: String = "PUT,POST", rate: Int = 0, readRate: Int = 64 * 1024) throws {
        let info = try S3Server.info()
        log = try TestPaths.temporaryDirectory("proxy").appendingPathComponent("requests.log")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", TestPaths.repositoryRoot.appendingPathComponent("scripts/s3-fault-proxy").path,
                       "--upstream", info.endpoint, "--plan", plan.joined(separator: ","), "--methods", methods,
                       "--rate", String(rate), "--read-rate", String(readRate), "--log", log.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var line: [UInt8] = []
        while let c = out.fileHandleForReading.readData(ofLength: 1).first, c != 0x0A { line.append(c) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            p.terminate()
            throw ExternalToolError(message: "s3-fault-proxy did not print a port")
        }
        process = p
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// Every request the proxy saw: when (Unix seconds), method, target and fault, in order.
    func requests() -> [(time: Double, method: String, target: String, fault: String)] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 4, let t = Double(f[0]) else { return nil }
            return (t, String(f[1]), String(f[2]), String(f[3]))
        }
    }

    /// The faults the proxy applied, in order.
    func applied() -> [String] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }.filter { $0 != "pass" }
    }

    /// SIGKILL: the test runner's blocked signal mask is inherited, so SIGTERM may never arrive.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A presentation folder made by hand: one large random media file plus small manifests, with its
/// upload-manifest.json built by the real builder.
func makeLargePresentation(megabytes: Int, seed: UInt64) throws -> URL {
    let root = try TestPaths.temporaryDirectory("large")
    let folder = root.appendingPathComponent("big").appendingPathComponent("v1")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try writeRandom(folder.appendingPathComponent("big_video.ismv"), megabytes: megabytes, seed: seed)
    try Data("<SmoothStreamingMedia/>".utf8).write(to: folder.appendingPathComponent("big.ismc"))
    try Data("<smil/>".utf8).write(to: folder.appendingPathComponent("big.ism"))
    try rebuildManifest(folder)
    return folder
}

func writeRandom(_ url: URL, megabytes: Int, seed: UInt64) throws {
    var rng = SplitMix64(state: seed)
    guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
        throw FixtureError(message: "cannot create \(url.path)")
    }
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    for _ in 0..<megabytes {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        for i in stride(from: 0, to: chunk.count, by: 8) {
            withUnsafeBytes(of: rng.next()) { for j in 0..<8 { chunk[i + j] = $0[j] } }
        }
        try handle.write(contentsOf: chunk)
    }
}

func rebuildManifest(_ folder: URL) throws {
    let m = try UploadManifest.build(folder: folder, presentation: "big", prefix: "big/v1/")
    try m.jsonData().write(to: folder.appendingPathComponent(UploadManifest.fileName))
}

@Suite(.serialized) struct FaultTests {
    @Test func retriesThroughFaultsAndReportsAttempts() async throws {
        let proxy = try FaultProxy(plan: ["500", "slowdown", "reset", "stall"], methods: "PUT")
        defer { proxy.stop() }
        let client = try S3Server.client(endpoint: proxy.endpoint)
        let direct = try S3Server.client()
        defer { Task { await client.shutdown(); await direct.shutdown() } }
        let prefix = S3Server.prefix("faults")
        let folder = try Encoded.presentations()[0]
        let p = Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket, prefix: prefix),
                                                                  concurrency: 2))
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        #expect(proxy.applied() == ["500", "slowdown", "reset", "stall"])
        // Each uploaded object costs HEAD + PUT + HEAD; the four faults add four PUT attempts.
        let extra = report.objects.reduce(0) { $0 + $1.attempts - 3 }
        #expect(extra == 4, "\(report.objects.map { ($0.key, $0.attempts) })")
        #expect(report.objects.contains { $0.attempts > 3 })
        let m = try JSONDecoder().decode(UploadManifest.self, from: Data(contentsOf: folder.appendingPathComponent(UploadManifest.fileName)))
        for o in m.objects {
            let local = try Data(contentsOf: folder.appendingPathComponent(String(o.key.dropFirst(m.prefix.count))))
            let same = try await direct.get("\(prefix)/\(o.key)").body == [UInt8](local)
            #expect(same, "\(o.key)")
        }
    }

    /// A slow uplink: an object whose body takes four read timeouts to send goes up at the first attempt. The
    /// body is handed over as the connection takes it and the answer is timed from its end (plus what the kernel
    /// may still hold: the upload read timeout); queued whole, the body's end was queued at once and every
    /// attempt timed out partway through the body.
    @Test func aBodySlowerThanTheReadTimeoutGoesUpAtTheFirstAttempt() async throws {
        let proxy = try FaultProxy(plan: ["slowread"], methods: "PUT", readRate: 1 << 20)
        defer { proxy.stop() }
        let client = try S3Server.client(endpoint: proxy.endpoint, readTimeoutSeconds: 2, uploadReadTimeoutSeconds: 5)
        defer { Task { await client.shutdown() } }
        let folder = try makeLargePresentation(megabytes: 8, seed: 11)   // 8 s at 1 MiB/s
        let prefix = S3Server.prefix("slow-uplink")
        let p = Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket, prefix: prefix),
                                                                  concurrency: 1))
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        #expect(proxy.applied() == ["slowread"])
        let big = try #require(report.objects.first { $0.key.hasSuffix("big_video.ismv") })
        #expect(big.attempts == 3, "HEAD + PUT + HEAD, the PUT once: \(big.attempts)")
        let local = try Data(contentsOf: folder.appendingPathComponent("big_video.ismv"))
        let same = try await client.get("\(prefix)/big/v1/big_video.ismv").body == [UInt8](local)
        #expect(same, "bytes differ")
    }

    @Test func persistentFailureIsOneLineAfterFixedAttempts() async throws {
        let proxy = try FaultProxy(plan: Array(repeating: "500", count: 50), methods: "PUT")
        defer { proxy.stop() }
        let client = try S3Server.client(endpoint: proxy.endpoint, maxAttempts: 3)
        defer { Task { await client.shutdown() } }
        let p = Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket,
                                                                                     prefix: S3Server.prefix("persist")),
                                                                  concurrency: 1))
        let report = await p.publish(folder: try Encoded.presentations()[0])
        let error = try #require(report.error)
        #expect(error.message.contains("InternalError") && error.message.contains("after 3 attempts"))
        #expect(!error.message.contains("\n"))
        #expect(proxy.applied().count == 3)
        // --json shows the attempts of a failed object too (it said 0).
        let failed = try #require(report.objects.first { $0.action == .failed })
        #expect(failed.attempts == 1 + 3, "HEAD, then the PUT three times: \(failed.attempts)")
    }

    /// A throttling answer that says when to come back (`Retry-After: 2`) is retried no sooner (the test client's
    /// backoff is otherwise at most 50 ms).
    @Test func retryAfterIsHonoured() async throws {
        let proxy = try FaultProxy(plan: ["retryafter"], methods: "PUT")
        defer { proxy.stop() }
        let client = try S3Server.client(endpoint: proxy.endpoint)
        defer { Task { await client.shutdown() } }
        let p = Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket,
                                                                                     prefix: S3Server.prefix("retry-after")),
                                                                  concurrency: 1))
        let report = await p.publish(folder: try Encoded.presentations()[0])
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        let seen = proxy.requests()
        let refused = try #require(seen.firstIndex { $0.fault == "retryafter" })
        let retry = try #require(seen[(refused + 1)...].first { $0.method == "PUT" && $0.target == seen[refused].target })
        #expect(retry.time - seen[refused].time >= 2, "retried after \(retry.time - seen[refused].time) s")
    }

    /// A HEAD that keeps failing is reported as itself, not as what the one-byte GET that asks for S3's error
    /// code found (a 404 there: a missing key, which is normally fine).
    @Test func aFailingHeadIsReportedAsItself() async throws {
        let proxy = try FaultProxy(plan: Array(repeating: "slowdown", count: 20), methods: "HEAD")
        defer { proxy.stop() }
        let client = try S3Server.client(endpoint: proxy.endpoint, maxAttempts: 3)
        defer { Task { await client.shutdown() } }
        let p = Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket,
                                                                                     prefix: S3Server.prefix("head")),
                                                                  concurrency: 1))
        let report = await p.publish(folder: try Encoded.presentations()[0])
        let error = try #require(report.error)
        #expect(error.message.contains("HEAD") && error.message.contains("HTTP 503") && error.message.contains("after 3 attempts"),
                "\(error.message)")
        #expect(!error.message.contains("NoSuchKey"), "\(error.message)")
    }

    @Test func clientErrorsFailAtOnce() async throws {
        let info = try S3Server.info()
        let config = S3Configuration(endpoint: try Endpoint(parsing: info.endpoint), region: "us-east-1", pathStyle: true)
        let client = S3Client(configuration: config, bucket: "no-such-bucket-smoothpack",
                              credentials: AWSCredentials(accessKeyID: S3Server.accessKey, secretAccessKey: S3Server.secretKey))
        defer { Task { await client.shutdown() } }
        let r = try await client.send("PUT", key: "x/y", body: [1, 2, 3])
        #expect(r.status == 404 && r.errorCode == "NoSuchBucket" && r.attempts == 1)
        #expect(client.failure(r, "PUT", "x/y").message.hasPrefix("PUT s3://no-such-bucket-smoothpack/x/y: NoSuchBucket"))
        let good = try S3Server.client()
        defer { Task { await good.shutdown() } }
        let bad = try await good.send("PUT", key: "\(S3Server.prefix("digest"))/x", headers: [("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA==")],
                                      body: [1, 2, 3])
        #expect(bad.status == 400 && bad.errorCode == "BadDigest" && bad.attempts == 1)
    }
}

@Suite(.serialized) struct MultipartTests {
    func publisher(_ client: S3Client, _ prefix: String, concurrency: Int = 4) -> Publisher {
        Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket, prefix: prefix),
                                                          concurrency: concurrency, multipartThreshold: 8 << 20, partSize: 8 << 20))
    }

    @Test func partPlanBounds() {
        #expect(PartPlan(size: 100 << 20, preferredPartSize: 1).partSize == 8 << 20)
        #expect(PartPlan(size: 100 << 20, preferredPartSize: 8 << 20).count == 13)
        let huge = PartPlan(size: 5 << 40, preferredPartSize: 8 << 20)
        #expect(huge.count <= 10_000 && huge.partSize >= 8 << 20)
        #expect(huge.range(huge.count).length > 0)
    }

    @Test func largeObjectGoesUpInPartsAndRerunSkipsIt() async throws {
        let folder = try makeLargePresentation(megabytes: 20, seed: 1)
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        let prefix = S3Server.prefix("mpu")
        let p = publisher(client, prefix)
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        let parts = client.requests.filter { $0.method == "PUT" && $0.query.contains("partNumber") }
        #expect(parts.count == 3)
        #expect(client.requests.contains { $0.method == "POST" && $0.query == ["uploads"] })
        let local = try Data(contentsOf: folder.appendingPathComponent("big_video.ismv"))
        let back = try await client.get("\(prefix)/big/v1/big_video.ismv")
        let same = back.body == [UInt8](local)
        #expect(same, "bytes differ")
        #expect(back.headers["content-type"] == "video/mp4")
        #expect(try await p.pendingUploads().isEmpty)
        let again = try S3Server.client()
        defer { Task { await again.shutdown() } }
        let second = await publisher(again, prefix).publish(folder: folder)
        #expect(second.error == nil && second.objects.allSatisfy { $0.action == .skipped })
        #expect(!again.requests.contains { $0.method == "PUT" || $0.method == "POST" })
    }

    /// Starts `smoothpack publish` through a throttling proxy and kills it (SIGKILL) once a part is stored.
    func killMidUpload(_ folder: URL, prefix: String) async throws {
        let proxy = try FaultProxy(plan: [], rate: 6 << 20)
        defer { proxy.stop() }
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: try TestPaths.smoothpackBinary)
        cli.arguments = ["publish", folder.path, "--to", "s3://\(S3Server.bucket)/\(prefix)", "--endpoint-url", proxy.endpoint,
                         "--concurrency", "1", "--multipart-threshold", String(8 << 20), "--part-size", String(8 << 20)]
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = S3Server.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = S3Server.secretKey
        cli.environment = env
        cli.standardOutput = FileHandle.nullDevice
        cli.standardError = FileHandle.nullDevice
        try cli.run()
        let watcher = try S3Server.client()
        defer { Task { await watcher.shutdown() } }
        let p = publisher(watcher, prefix)
        var stored = 0
        var polls = 0
        while stored == 0 && cli.isRunning && polls < 1200 {
            polls += 1
            var attempts = 0
            for (key, id) in try await p.pendingUploads() {
                stored += try await p.listParts(key: key, uploadId: id, attempts: &attempts).count
            }
            if stored == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        kill(cli.processIdentifier, SIGKILL)
        cli.waitUntilExit()
        #expect(cli.terminationReason == .uncaughtSignal, "publish finished before it could be killed")
        #expect(stored >= 1)
        #expect(try await p.pendingUploads().count == 1)
    }

    /// Answers lost after the server acted (the connection reset instead): a lost CreateMultipartUpload answer
    /// makes the retry create a second upload, and the first is aborted once the object is complete; a lost
    /// CompleteMultipartUpload answer makes the retry meet the finished object (412 under If-None-Match), which
    /// holds our bytes, so the object is done. Either way: published, the bytes right, no upload left behind.
    @Test(arguments: [["lost"], ["pass", "lost"]]) func answersLostAfterTheServerActedAreRecoveredFrom(plan: [String]) async throws {
        let proxy = try FaultProxy(plan: plan, methods: "POST")
        defer { proxy.stop() }
        let client = try S3Server.client(endpoint: proxy.endpoint)
        defer { Task { await client.shutdown() } }
        let folder = try makeLargePresentation(megabytes: 20, seed: 5)
        let prefix = S3Server.prefix("lost")
        let p = publisher(client, prefix)
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        #expect(proxy.applied() == ["lost"])
        let local = try Data(contentsOf: folder.appendingPathComponent("big_video.ismv"))
        let same = try await client.get("\(prefix)/big/v1/big_video.ismv").body == [UInt8](local)
        #expect(same, "bytes differ")
        #expect(try await p.pendingUploads().isEmpty, "an unfinished upload was left behind")
    }

    @Test func killedUploadIsResumed() async throws {
        let folder = try makeLargePresentation(megabytes: 48, seed: 2)
        let prefix = S3Server.prefix("resume")
        try await killMidUpload(folder, prefix: prefix)
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        let p = publisher(client, prefix)
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        // Resumed: no new upload created, fewer parts sent than the file has.
        #expect(!client.requests.contains { $0.method == "POST" && $0.query == ["uploads"] })
        let sent = client.requests.filter { $0.method == "PUT" && $0.query.contains("partNumber") }.count
        #expect(sent < PartPlan(size: 48 << 20, preferredPartSize: 8 << 20).count)
        let local = try Data(contentsOf: folder.appendingPathComponent("big_video.ismv"))
        let same = try await client.get("\(prefix)/big/v1/big_video.ismv").body == [UInt8](local)
        #expect(same, "bytes differ")
        #expect(try await p.pendingUploads().isEmpty)
    }

    @Test func killedUploadOfAChangedFileIsAborted() async throws {
        let folder = try makeLargePresentation(megabytes: 48, seed: 3)
        let prefix = S3Server.prefix("abort")
        try await killMidUpload(folder, prefix: prefix)
        // The file changes (a re-encode with the same key): the stale upload must go.
        try writeRandom(folder.appendingPathComponent("big_video.ismv"), megabytes: 40, seed: 4)
        try rebuildManifest(folder)
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        let p = publisher(client, prefix)
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        #expect(client.requests.contains { $0.method == "DELETE" && $0.query == ["uploadId"] })
        let local = try Data(contentsOf: folder.appendingPathComponent("big_video.ismv"))
        let same = try await client.get("\(prefix)/big/v1/big_video.ismv").body == [UInt8](local)
        #expect(same, "bytes differ")
        #expect(try await p.pendingUploads().isEmpty)
    }
}
