import Foundation
import SmoothManifest
import Synchronization
import Testing
import TestSupport
@testable import Publish

/// Publishing against a real S3 API server (SeaweedFS from `scripts/s3-server`): every `testmedia/`
/// presentation encoded with `--profile fast`, then read back.
@Suite(.serialized) struct PublishS3Tests {
    func publisher(_ client: S3Client, _ prefix: String, dryRun: Bool = false) -> Publisher {
        Publisher(client: client, options: PublishOptions(location: S3Location(bucket: S3Server.bucket, prefix: prefix),
                                                          concurrency: 4, dryRun: dryRun))
    }

    func manifest(_ folder: URL) throws -> UploadManifest {
        try JSONDecoder().decode(UploadManifest.self,
                                 from: Data(contentsOf: folder.appendingPathComponent(UploadManifest.fileName)))
    }

    @Test func publishesEveryPresentationAndReadsItBack() async throws {
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        let prefix = S3Server.prefix("all")
        let p = publisher(client, prefix)
        let folders = try Encoded.presentations()
        #expect(folders.count == TestPaths.allTestMedia.count)
        for folder in folders {
            let report = await p.publish(folder: folder)
            #expect(report.error == nil, "\(report.error?.message ?? "")")
            let m = try manifest(folder)
            #expect(report.objects.count == m.objects.count)
            #expect(report.objects.allSatisfy { $0.action == .uploaded })
            #expect(report.playbackKey == "\(prefix)/\(m.manifestPath)")
            for object in m.objects {
                let r = try await client.get("\(prefix)/\(object.key)")
                #expect(r.status == 200, "\(object.key)")
                let local = try Data(contentsOf: folder.appendingPathComponent(String(object.key.dropFirst(m.prefix.count))))
                let same = r.body == [UInt8](local)
                #expect(same, "\(object.key) bytes")
                #expect(r.headers["content-type"] == object.contentType, "\(object.key)")
                #expect(r.headers["cache-control"] == object.cacheControl, "\(object.key)")
            }
        }
        let policy = await p.publishPolicyFiles(PolicyFiles.files())
        #expect(policy.error == nil)
        let cap = try await client.get("\(prefix)/clientaccesspolicy.xml")
        #expect(cap.status == 200 && cap.body == PolicyFiles.files()[0].contents)
        #expect(cap.headers["cache-control"] == "public, max-age=300")

        // Order: for every presentation, each media PUT completed before the .ismc PUT, and that before the .ism.
        let puts = client.requests.filter { $0.method == "PUT" && $0.status == 200 }.map(\.key)
        for folder in folders {
            let m = try manifest(folder)
            func position(_ ext: String) -> [Int] {
                m.objects.filter { $0.key.hasSuffix(ext) }.compactMap { o in puts.firstIndex(of: "\(prefix)/\(o.key)") }
            }
            let media = position(".ismv") + position(".isma")
            let ismc = position(".ismc"), ism = position(".ism")
            #expect(!media.isEmpty && ismc.count == 1 && ism.count == 1)
            #expect(media.allSatisfy { $0 < ismc[0] } && ismc[0] < ism[0], "\(m.presentation): \(puts)")
            let others = position(".json") + position(".xml")
            #expect(others.allSatisfy { $0 < ismc[0] })
        }

        // A re-run sends no PUT at all.
        let again = try S3Server.client()
        defer { Task { await again.shutdown() } }
        for folder in folders {
            let report = await publisher(again, prefix).publish(folder: folder)
            #expect(report.error == nil)
            #expect(report.objects.allSatisfy { $0.action == .skipped })
        }
        #expect(await publisher(again, prefix).publishPolicyFiles(PolicyFiles.files()).objects.allSatisfy { $0.action == .skipped })
        #expect(!again.requests.contains { $0.method == "PUT" })
        #expect(!again.requests.isEmpty)
    }

    @Test func tamperedFileIsRefusedAndNothingSent() async throws {
        let folder = try Encoded.copy(try Encoded.presentations()[0])
        let m = try manifest(folder)
        let media = try #require(m.objects.first { $0.key.hasSuffix(".ismv") || $0.key.hasSuffix(".isma") })
        let file = folder.appendingPathComponent(String(media.key.dropFirst(m.prefix.count)))
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        let report = await publisher(client, S3Server.prefix("tamper")).publish(folder: folder)
        let error = try #require(report.error)
        #expect(error.kind == .localFile)
        #expect(error.message.contains(file.path) && error.message.contains("changed since encoding"))
        #expect(client.requests.isEmpty)
    }

    /// Publishes one presentation, then replaces one media object on the server with other bytes.
    func publishThenCorrupt(_ label: String) async throws -> (S3Client, Publisher, URL, String) {
        let client = try S3Server.client()
        let prefix = S3Server.prefix(label)
        let p = publisher(client, prefix)
        let folder = try Encoded.presentations()[0]
        let first = await p.publish(folder: folder)
        #expect(first.error == nil)
        let m = try manifest(folder)
        let media = try #require(m.objects.first { $0.key.hasSuffix(".ismv") || $0.key.hasSuffix(".isma") })
        let key = "\(prefix)/\(media.key)"
        let put = try await client.send("PUT", key: key, body: Array("other bytes".utf8))
        #expect(put.status == 200)
        return (client, p, folder, key)
    }

    @Test func otherBytesUnderPublishedVersionAreRefused() async throws {
        let (client, p, folder, key) = try await publishThenCorrupt("immutable")
        defer { Task { await client.shutdown() } }
        let report = await p.publish(folder: folder)
        let error = try #require(report.error)
        #expect(error.kind == .immutableConflict)
        #expect(error.message.contains(key))
        let still = try await client.get(key)
        #expect(still.body == Array("other bytes".utf8))
    }

    @Test func otherBytesUnderUnpublishedVersionAreReplaced() async throws {
        let (client, p, folder, key) = try await publishThenCorrupt("unpublished")
        defer { Task { await client.shutdown() } }
        let m = try manifest(folder)
        let ism = try #require(m.objects.first { $0.key.hasSuffix(".ism") })
        let deleted = try await client.send("DELETE", key: "\(p.options.location.prefix)/\(ism.key)")
        #expect(deleted.status == 204)
        let report = await p.publish(folder: folder)
        #expect(report.error == nil, "\(report.error?.message ?? "")")
        #expect(report.objects.first { $0.key == key }?.action == .uploaded)
        let local = try Data(contentsOf: folder.appendingPathComponent(String(key.split(separator: "/").last!)))
        let same = try await client.get(key).body == [UInt8](local)
        #expect(same, "bytes differ")
    }

    @Test func wrongSecretIsOneLineSignatureDoesNotMatch() throws {
        let info = try S3Server.info()
        let folder = try Encoded.presentations()[0]
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = S3Server.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value"
        let result = try runSmoothpack(["publish", folder.path, "--to", "s3://\(S3Server.bucket)/\(S3Server.prefix("wrong"))",
                                        "--endpoint-url", info.endpoint], environment: env)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("SignatureDoesNotMatch"))
        #expect(!result.stderr.contains("wrong-secret-value") && !result.stdout.contains("wrong-secret-value"))
    }

    @Test func cliJSONReportAndDryRun() throws {
        let info = try S3Server.info()
        let out = try Encoded.out()
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = S3Server.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = S3Server.secretKey
        let to = "s3://\(S3Server.bucket)/\(S3Server.prefix("cli"))"
        let dry = try runSmoothpack(["publish", out.path, "--to", to, "--endpoint-url", info.endpoint, "--dry-run", "--json"],
                                    environment: env)
        #expect(dry.status == 0, "\(dry.stderr)")
        let planned = try JSONDecoder().decode([ObjectReport].self, from: Data(dry.stdout.utf8))
        #expect(!planned.isEmpty && planned.allSatisfy { $0.action == .wouldUpload })
        let real = try runSmoothpack(["publish", out.path, "--to", to, "--endpoint-url", info.endpoint, "--json"], environment: env)
        #expect(real.status == 0, "\(real.stderr)")
        let done = try JSONDecoder().decode([ObjectReport].self, from: Data(real.stdout.utf8))
        #expect(Set(done.map(\.key)) == Set(planned.map(\.key)))
        #expect(done.allSatisfy { $0.action == .uploaded && $0.attempts >= 2 })
        #expect(!real.stdout.contains(S3Server.secretKey))
        let again = try runSmoothpack(["publish", out.path, "--to", to, "--endpoint-url", info.endpoint, "--json"], environment: env)
        #expect(again.status == 0)
        #expect(try JSONDecoder().decode([ObjectReport].self, from: Data(again.stdout.utf8)).allSatisfy { $0.action == .skipped })
    }
}

extension PublishS3Tests {
    /// `encode --to` publishes each presentation once it is complete: its .ism is in the bucket afterwards.
    @Test func encodeWithToPublishes() async throws {
        let info = try S3Server.info()
        let out = try TestPaths.temporaryDirectory("encode-to")
        let prefix = S3Server.prefix("encode-to")
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = S3Server.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = S3Server.secretKey
        let source = TestPaths.testMedia(TestPaths.allTestMedia[0])
        let r = try runSmoothpack(["encode", source, "--out", out.path, "--profile", "fast", "--to",
                                   "s3://\(S3Server.bucket)/\(prefix)", "--endpoint-url", info.endpoint], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        try await expectPublished(out: out, prefix: prefix)
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        #expect(try await client.get("\(prefix)/crossdomain.xml").status == 200)
    }
}

/// Runs the built `smoothpack` with an environment; both pipes drained concurrently.
func runSmoothpack(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try TestPaths.smoothpackBinary)
    p.arguments = arguments
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let errData = Mutex(Data())
    let done = DispatchSemaphore(value: 0)
    let errHandle = err.fileHandleForReading
    Thread.detachNewThread {
        let d = errHandle.readDataToEndOfFile()
        errData.withLock { $0 = d }
        done.signal()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    done.wait()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errData.withLock { $0 }, as: UTF8.self))
}

extension PublishS3Tests {
    /// `watch --to` publishes each job's presentation, and counts the job done only once it is published: when
    /// the event log says `done`, every object of the upload manifest is in the bucket with its bytes.
    @Test func watchWithToPublishesEachJob() async throws {
        let info = try S3Server.info()
        let root = try TestPaths.temporaryDirectory("watch-to")
        defer { try? FileManager.default.removeItem(at: root) }
        let inbox = root.appendingPathComponent("inbox"), out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let events = root.appendingPathComponent("events.jsonl"), log = root.appendingPathComponent("watch.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let prefix = S3Server.prefix("watch-to")
        var env = ProcessInfo.processInfo.environment
        env["AWS_ACCESS_KEY_ID"] = S3Server.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = S3Server.secretKey
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: try TestPaths.smoothpackBinary)
        daemon.arguments = ["watch", inbox.path, "--out", out.path, "--profile", "fast", "--settle", "1", "--rescan", "1",
                            "--events", events.path, "--to", "s3://\(S3Server.bucket)/\(prefix)",
                            "--endpoint-url", info.endpoint]
        daemon.environment = env
        daemon.standardInput = FileHandle.nullDevice
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = try FileHandle(forWritingTo: log)
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        // Dropped the way a copy tool does it: written under a temporary name, then renamed.
        let name = TestPaths.allTestMedia[0]
        let staged = inbox.appendingPathComponent(name + ".part")
        try FileManager.default.copyItem(atPath: TestPaths.testMedia(name), toPath: staged.path)
        try FileManager.default.moveItem(at: staged, to: inbox.appendingPathComponent(name))

        func doneEvent() -> Bool {
            guard let text = try? String(contentsOf: events, encoding: .utf8) else { return false }
            return text.split(separator: "\n").contains { $0.contains("\"state\":\"done\"") }
        }
        var waited = 0
        while !doneEvent() && daemon.isRunning && waited < 240 {   // bounded: 120 s
            try await Task.sleep(for: .milliseconds(500))
            waited += 1
        }
        let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(doneEvent(), "no done event; watch log:\n\(logText.suffix(2000))")

        try await expectPublished(out: out, prefix: prefix)
        daemon.terminate()   // SIGTERM: stop taking jobs, exit 0
        daemon.waitUntilExit()
        let finalLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0,
                "watch ended \(daemon.terminationReason == .exit ? "with exit" : "by signal") \(daemon.terminationStatus); log:\n\(finalLog.suffix(2000))")
    }
}

extension PublishS3Tests {
    /// Every object of the first presentation under `out` is in the bucket under `prefix` with the local file's bytes.
    /// (A Bool per object, not `==` inside #expect: Swift Testing would diff megabyte arrays element by element.)
    func expectPublished(out: URL, prefix: String) async throws {
        let folder = try #require(try Publisher.presentations(in: out).first)
        let m = try manifest(folder)
        let client = try S3Server.client()
        defer { Task { await client.shutdown() } }
        for o in m.objects {
            let local = try Data(contentsOf: folder.appendingPathComponent(String(o.key.dropFirst(m.prefix.count))))
            let same = try await client.get("\(prefix)/\(o.key)").body == [UInt8](local)
            #expect(same, "\(o.key) differs in the bucket")
        }
    }
}
