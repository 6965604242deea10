import Foundation
import Publish
import Testing
import TestSupport
@testable import Workers

/// `worker --encrypt`: every job the worker runs is published encrypted, and the key is nowhere but in its
/// arguments. In the serialized `QueueTests` suite, so it never runs beside the other worker tests.
extension QueueTests {
    static let kid = "0123456789abcdef0123456789abcdef"
    static let key = "00112233445566778899aabbccddeeff"

    @Test func encryptingWorkerPublishesProtectedPresentations() async throws {
        let pg = try await PostgresServer()
        defer { pg.stop() }
        let q = try await pg.queue()
        let clients = try S3Server.clients()
        let client = clients.client(bucket: S3Server.bucket)
        let prefix = S3Server.prefix("encrypt")
        let scratch = try TestPaths.temporaryDirectory("workers-encrypt")
        let clips = try Clips.variants(of: try Clips.base.get(), count: 2, name: "protected")
        let ids = try await Self.enqueue(clips, prefix: prefix, pg: pg, client: client)
        #expect(ids.count == 2)
        let worker = try WorkerProcess(name: "e1", queue: pg.url, endpoint: try S3Server.endpoint(), scratch: scratch,
                                       extra: ["--encrypt", "--key", "\(Self.kid):\(Self.key)"])
        try await eventually("2 done") { try await q.status().counts["done"] == 2 }
        #expect(await worker.stop() == 0)
        try await Self.expectAllDoneOnce(ids, queue: q, workers: [worker], client: client)

        for job in try await q.jobs() where ids.contains(job.id) {
            let playback = try #require(job.result)
            let ismKey = String(playback.dropFirst("s3://\(client.bucket)/".count).dropLast("/Manifest".count))
            let ismc = try await client.send("GET", key: String(ismKey.dropLast(4)) + ".ismc")
            let text = String(decoding: ismc.body, as: UTF8.self)
            #expect(ismc.status == 200 && text.contains("<ProtectionHeader SystemID=\"9A04F079-9840-4286-AB92-E65BE0885F95\""),
                    "job \(job.id): \(text.prefix(300))")
            // Every media file the .ism names carries encrypted sample entries and per-fragment sample data.
            let ism = String(decoding: try await client.send("GET", key: ismKey).body, as: UTF8.self)
            let folder = ismKey.split(separator: "/").dropLast().joined(separator: "/")
            let media = ism.components(separatedBy: "src=\"").dropFirst().compactMap { $0.split(separator: "\"").first }
                .filter { $0.hasSuffix(".ismv") || $0.hasSuffix(".isma") }
            #expect(!media.isEmpty)
            for name in media {
                let file = try await client.send("GET", key: "\(folder)/\(name)")
                let bytes = file.body
                let hasEntry = Self.contains(bytes, "encv") || Self.contains(bytes, "enca")
                #expect(file.status == 200 && hasEntry && Self.contains(bytes, "senc") && Self.contains(bytes, "tenc"),
                        "\(name) is not encrypted")
            }
        }
        // The key never leaves the worker's arguments: not in its log, not in the queue's rows.
        #expect(!worker.logText.lowercased().contains(Self.key))
        for job in try await q.jobs() {
            #expect(!"\(job)".lowercased().contains(Self.key))
        }
        await q.close()
        await clients.shutdown()
    }

    @Test func workerRefusesBadProtectionOptionsBeforeClaiming() async throws {
        let url = "postgres://nobody@127.0.0.1:1/none"   // never reached: the options are refused first
        let noContentID = try await smoothpack(["worker", "--queue", url, "--encrypt", "--speke-url", "http://127.0.0.1:1/speke"])
        #expect(noContentID.status != 0 && noContentID.stderr.contains("--speke-content-id"), "\(noContentID.stderr)")
        let badKey = try await smoothpack(["worker", "--queue", url, "--encrypt", "--key", "\(Self.kid):\(Self.key.dropLast(2))zz"])
        #expect(badKey.status != 0 && !badKey.stderr.isEmpty)
        #expect(!badKey.stderr.lowercased().contains(Self.key.dropLast(2)), "the error repeats the key")
        let noEncrypt = try await smoothpack(["worker", "--queue", url, "--key", "\(Self.kid):\(Self.key)"])
        #expect(noEncrypt.status != 0 && noEncrypt.stderr.contains("need --encrypt"), "\(noEncrypt.stderr)")
    }

    static func contains(_ bytes: [UInt8], _ fourCC: String) -> Bool {
        let needle = Array(fourCC.utf8)
        guard bytes.count >= needle.count else { return false }
        for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle {
            return true
        }
        return false
    }
}
