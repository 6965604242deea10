import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin
@testable import Platform

/// Fragments answered on the event loop (``DirectFragmentResponder``) against the same server with the handler
/// off (every request through the router): the same statuses, headers and bytes, in the order asked.
@Suite struct DirectFragmentTests {
    /// Every fragment of two presentations, each asked several ways (whole, ranges, `HEAD`, `If-None-Match`
    /// matching and not, an unsatisfiable range, several ranges), on one live connection per server.
    @Test(arguments: ["*", "https://player.example"])
    func directAnswersEqualTheRoutersAnswers(corsOrigin: String) async throws {
        let fx = try await Fixture.shared()
        var targets: [Request] = []
        for p in fx.presentations.prefix(2) {
            // The media files as DASH and HLS players read them (byte ranges of static files), then fragments.
            let media = try FileManager.default.contentsOfDirectory(atPath: p.directory.path)
                .filter { $0.hasSuffix(".ismv") || $0.hasSuffix(".isma") }.sorted()
            #expect(!media.isEmpty)
            for uri in media.map({ "/\(p.prefix)\($0)" }) + (try Fixture.fragmentTargets(p)) {
                // The first request loads the presentation and the index through the router.
                targets.append(Request(uri: uri))
                targets.append(Request(uri: uri))
                targets.append(Request(uri: uri, method: .head))
                targets.append(Request(uri: uri, headers: [.range: "bytes=7-"]))
                targets.append(Request(uri: uri, headers: [.range: "bytes=0-99"]))
                targets.append(Request(uri: uri, headers: [.range: "bytes=-20000"]))
                targets.append(Request(uri: uri, headers: [.range: "bytes=99999999-"]))
                targets.append(Request(uri: uri, headers: [.range: "bytes=0-1,5-9"]))
                targets.append(Request(uri: uri, method: .head, headers: [.range: "bytes=10-19"]))
                targets.append(Request(uri: uri, headers: [.ifNoneMatch: "\"not-it\""]))
                targets.append(Request(uri: uri, etagOf: targets.count - 9))
                targets.append(Request(uri: uri + "?x=1"))
            }
        }
        func answers(direct: Bool) async throws -> (answers: [Answer], origin: SmoothOrigin) {
            let origin = try Harness.origin(fx.root) {
                $0.answerCachedFragmentsDirectly = direct
                $0.corsOrigin = corsOrigin
                $0.revalidateAfter = .seconds(3600)
            }
            let all = targets
            let answers = try await Harness.application(origin).test(.live) { client async throws in
                var out: [Answer] = []
                for t in all {
                    var headers = t.headers
                    if let i = t.etagOf, let tag = out[i].headers["etag"] { headers[.ifNoneMatch] = tag }
                    let response = try await client.execute(uri: t.uri, method: t.method, headers: headers)
                    #expect(response.headers[.date] != nil && response.headers[.server] == "smoothpack", "\(t)")
                    out.append(Answer(response))
                }
                return out
            }
            return (answers, origin)
        }
        let routed = try await answers(direct: false)
        let direct = try await answers(direct: true)
        #expect(routed.origin.directAnswers.value == 0)
        #expect(direct.origin.directAnswers.value >= targets.count * 3 / 4, "most requests took the direct path")
        let regions = (routed.origin.regionsSent.value, direct.origin.regionsSent.value)
        #expect(regions.0 == regions.1, "the same bodies went out with sendfile")
        #expect(Set(routed.answers.map(\.status)) == [200, 206, 304, 416])
        for (i, (a, b)) in zip(routed.answers, direct.answers).enumerated() {
            #expect(a.status == b.status, "\(targets[i])")
            #expect(a.headers == b.headers, "\(targets[i])")
            #expect(a.body == b.body, "\(targets[i]): \(a.body.count) bytes routed, \(b.body.count) direct")
        }
    }

    /// Requests the router answers (manifest, a static file, 404s, a 400) between fragments the handler answers,
    /// all written at once on one connection, then fragments one at a time on it: every answer in the order
    /// asked, with its bytes.
    @Test func pipelinedMixOfRoutedAndDirectAnswersKeepsItsOrder() async throws {
        let fx = try await Fixture.shared()
        let log = InMemoryLogHandlerBox()
        let origin = try Harness.origin(fx.root, logger: log.logger) { $0.revalidateAfter = .seconds(3600) }
        let p = try #require(fx.presentations.first)
        let ism = Fixture.ismPath(p)
        let fragments = try Fixture.fragmentTargets(p)
        let others = [
            "/\(ism)/Manifest", "/clientaccesspolicy.xml", "/\(ism)/QualityLevels(1)/Fragments(video=0)",
            "/\(ism)/QualityLevels(x)/Fragments(video=0)", "/nothing-here.ism/Manifest",
        ]
        let order = (0..<60).map { i in
            i % 4 == 3 ? others[(i / 4) % others.count] : fragments[(i * 5) % fragments.count]
        }
        let singles = Array(fragments.prefix(20))
        let asked = order + singles
        let expected = try await Harness.application(origin).test(.router) { client async throws in
            var out: [String] = []
            for uri in asked {
                let a = Answer(try await client.execute(uri: uri, method: .get))
                out.append("\(a.status) \(Digests.hex(SHA256.hash(a.body)))")
            }
            return out
        }
        let before = origin.directAnswers.value
        let lines = try await Harness.withLiveServer(origin, logger: log.logger) { server in
            try await RawClient.pipelined(port: server.port, batches: [order] + singles.map { [$0] })
        }
        #expect(lines == expected)
        // Pipelined, only the fragments before the first routed request (or until the socket's buffer fills)
        // are answered directly; one at a time, every fragment whose body needs no read.
        #expect(origin.directAnswers.value - before >= singles.count, "the fragments were answered directly")
        let access = log.messages.filter { $0.hasPrefix("GET /") }
        #expect(access.count == asked.count, "every answer is in the access log, direct or routed")
        #expect(access.contains { $0.hasPrefix("GET \(fragments[0]) 200 ") })
    }

    /// Nothing is answered from memory past ``OriginConfiguration/revalidateAfter`` when
    /// ``OriginConfiguration/staleWhileRevalidate`` is zero: once the presentation is gone from disk, the next ask
    /// after that time is the router's 404, not the old bytes. (Whether the second ask below was answered from
    /// memory depends on how fast the machine is; the memory of targets is shown to be used in
    /// ``directAnswersEqualTheRoutersAnswers(corsOrigin:)``.)
    @Test func nothingIsAnsweredFromMemoryPastRevalidateAfter() async throws {
        let (origin, root, p, uri) = try await Self.copied(
            "direct-stale", revalidateAfter: .milliseconds(300), stale: .zero)
        let (before, after) = try await Harness.application(origin).test(.live) { client async throws in
            let first = try await client.execute(uri: uri, method: .get)
            let second = try await client.execute(uri: uri, method: .get)
            #expect(first.status == .ok && second.status == .ok)
            let direct = origin.directAnswers.value
            try FileManager.default.removeItem(at: root.appendingPathComponent(p.prefix))
            // Sleeping longer than revalidateAfter: a slow machine only makes the wait longer.
            try await Task.sleep(for: .milliseconds(700))
            let gone = try await client.execute(uri: uri, method: .get)
            return (direct, (gone.status, origin.directAnswers.value))
        }
        #expect(after.0 == .notFound)
        #expect(after.1 == before, "the ask after the files went was not answered from memory")
    }

    /// Within `staleWhileRevalidate` a due fragment is answered from memory (the bytes it had) while its files
    /// are checked in the background; once the check has found them gone, the answer is the router's 404.
    @Test func aDueFragmentIsAnsweredWhileItsFilesAreChecked() async throws {
        let (origin, root, p, uri) = try await Self.copied(
            "direct-swr", revalidateAfter: .milliseconds(200), stale: .seconds(3600))
        try await Harness.application(origin).test(.live) { client async throws in
            let first = try await client.execute(uri: uri, method: .get)
            #expect(first.status == .ok)
            try await Task.sleep(for: .milliseconds(400))  // past revalidateAfter: the files are due
            try FileManager.default.removeItem(at: root.appendingPathComponent(p.prefix))
            let direct = origin.directAnswers.value
            let due = try await client.execute(uri: uri, method: .get)
            #expect(due.status == .ok, "answered from memory while the check runs")
            #expect(Array(due.body.readableBytesView) == Array(first.body.readableBytesView))
            #expect(origin.directAnswers.value == direct + 1)
            // The check runs on the thread pool; wait for it (no time bound but the test's own).
            for _ in 0..<600 where origin.backgroundChecks.value == 0 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(origin.backgroundChecks.value >= 1)
            let after = try await client.execute(uri: uri, method: .get)
            #expect(after.status == .notFound, "the check found the files gone")
        }
    }

    /// A static file (a media file read in byte ranges) is answered from what the router resolved for the same
    /// target, and only within `revalidateAfter`: a file replaced on disk is sent as the new file (bytes and
    /// ETag) once that has passed, and a file deleted is a 404.
    @Test func staticFilesAreAnsweredDirectlyOnlyWithinRevalidateAfter() async throws {
        let root = try TestPaths.temporaryDirectory("direct-file")
        let url = root.appendingPathComponent("media.bin")
        let old = Data((0..<(64 << 10)).map { UInt8($0 % 251) })
        let new = Data((0..<(80 << 10)).map { UInt8(($0 * 7) % 253) })
        try old.write(to: url)
        let origin = try Harness.origin(root) { $0.revalidateAfter = .seconds(1) }
        try await Harness.application(origin).test(.live) { client async throws in
            let first = try await client.execute(uri: "/media.bin", method: .get)
            #expect(first.status == .ok && Data(first.body.readableBytesView) == old)
            for _ in 0..<20 {
                let part = try await client.execute(
                    uri: "/media.bin", method: .get, headers: [.range: "bytes=100-20099"])
                #expect(part.status == .partialContent)
                #expect(Data(part.body.readableBytesView) == old[100..<20100])
                #expect(part.headers[.eTag] == first.headers[.eTag])
            }
            #expect(origin.directAnswers.value >= 1, "answered without the router")
            try new.write(to: url, options: .atomic)  // a new file under the same name
            try await Task.sleep(for: .milliseconds(1300))  // past revalidateAfter
            let replaced = try await client.execute(uri: "/media.bin", method: .get)
            #expect(replaced.status == .ok && Data(replaced.body.readableBytesView) == new)
            #expect(replaced.headers[.eTag] != first.headers[.eTag])
            try FileManager.default.removeItem(at: url)
            try await Task.sleep(for: .milliseconds(1300))
            let gone = try await client.execute(uri: "/media.bin", method: .get, headers: [.range: "bytes=0-99999"])
            #expect(gone.status == .notFound)
        }
    }

    /// Files that fall due together are checked by one drain of the background queue: every media file of a
    /// presentation is touched (a new mtime, the same bytes) while its entries are due; the fragments are
    /// answered from memory meanwhile, and once the checks have run every fragment carries the new identity's
    /// ETag with the same bytes (each media file was checked and reloaded), with nothing logged as an error.
    @Test func dueFilesAreCheckedAndReloadedInTheBackground() async throws {
        let log = InMemoryLogHandlerBox()
        let (origin, root, p, _) = try await Self.copied(
            "direct-batch", revalidateAfter: .milliseconds(200), stale: .seconds(3600), logger: log.logger)
        let targets = try Fixture.fragmentTargets(p)
        let folder = root.appendingPathComponent(p.prefix)
        let media = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".ismv") || $0.hasSuffix(".isma") }
        #expect(media.count >= 2)
        try await Harness.application(origin).test(.live) { client async throws in
            var first: [String: (etag: String?, body: [UInt8])] = [:]
            for target in targets {
                let answer = try await client.execute(uri: target, method: .get)
                #expect(answer.status == .ok)
                first[target] = (answer.headers[.eTag], Array(answer.body.readableBytesView))
            }
            try await Task.sleep(for: .milliseconds(400))  // past revalidateAfter: every file is due
            for name in media {
                try FileManager.default.setAttributes(
                    [.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)],
                    ofItemAtPath: folder.appendingPathComponent(name).path)
            }
            for target in targets {
                let due = try await client.execute(uri: target, method: .get)
                #expect(due.status == .ok)
                #expect(Array(due.body.readableBytesView) == first[target]?.body)
            }
            // One check per media file at least (no time bound but the test's own).
            for _ in 0..<600 where origin.backgroundChecks.value < media.count {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(origin.backgroundChecks.value >= media.count)
            for target in targets {
                let after = try await client.execute(uri: target, method: .get)
                #expect(after.status == .ok)
                #expect(Array(after.body.readableBytesView) == first[target]?.body)
                let etag = after.headers[.eTag]
                #expect(etag != nil && etag != first[target]?.etag, "reloaded: \(target)")
            }
        }
        #expect(!log.messages.contains { $0.hasPrefix("cannot serve") })
    }

    /// A remembered target whose media file was reloaded is resolved afresh, even while something still holds
    /// the old file's object (here the first answer's payload): the reload retires the old object's standing
    /// in the cache, so its fresh-looking check time is not taken for the new entry's. The media files are
    /// touched (a new mtime, the same bytes), so a reload shows as a new ETag.
    @Test func aReloadedMediaFileRetiresTheOldObject() async throws {
        let (origin, root, p, _) = try await Self.copied(
            "direct-retire", revalidateAfter: .milliseconds(200), stale: .seconds(3600))
        let target = try #require(try Fixture.fragmentTargets(p).first)
        let path = try RequestPath.parse(target, maxLength: 4096).get()
        _ = try origin.resolve(path)  // loads the presentation and the media file
        let first = try #require(origin.directFragment(target: target), "answered from memory, target remembered")
        let again = try #require(origin.directFragment(target: target))
        #expect(again.etag == first.etag)
        let folder = root.appendingPathComponent(p.prefix)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where name.hasSuffix(".ismv") || name.hasSuffix(".isma") {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)],
                ofItemAtPath: folder.appendingPathComponent(name).path)
        }
        try await Task.sleep(for: .milliseconds(400))  // past revalidateAfter: the next resolution checks
        let reloaded = try origin.resolve(path)
        #expect(reloaded.etag != first.etag, "the router's resolution reloaded the media file")
        let after = try #require(origin.directFragment(target: target))
        #expect(after.etag == reloaded.etag, "the remembered target followed the reload")
        withExtendedLifetime(first) {}  // the old object stays alive until here
    }

    /// An origin over a private copy of the first presentation, and the target of one of its fragments.
    static func copied(
        _ label: String, revalidateAfter: Duration, stale: Duration, logger: Logger = Harness.quiet
    ) async throws -> (SmoothOrigin, URL, Presentation, String) {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first)
        let root = try Fixture.copy(p, of: fx, label: label)
        let origin = try Harness.origin(root, logger: logger) {
            $0.revalidateAfter = revalidateAfter
            $0.staleWhileRevalidate = stale
        }
        return (origin, root, p, try #require(try Fixture.fragmentTargets(p).last))
    }

    @Test func httpDateIsIMFFixdate() {
        var t: time_t = 784_111_777  // RFC 9110's example
        #expect(HTTPDate.format(&t) == "Sun, 06 Nov 1994 08:49:37 GMT")
        var leap: time_t = 951_782_400  // 2000-02-29
        #expect(HTTPDate.format(&leap) == "Tue, 29 Feb 2000 00:00:00 GMT")
    }
}

/// A request of these tests: method, target, headers; `etagOf` takes `If-None-Match` from an earlier answer.
private struct Request: CustomStringConvertible, Sendable {
    var uri: String
    var method: HTTPRequest.Method = .get
    var headers: HTTPFields = [:]
    var etagOf: Int?

    init(uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = [:]) {
        self.uri = uri
        self.method = method
        self.headers = headers
    }

    init(uri: String, etagOf index: Int) {
        self.uri = uri
        self.etagOf = index
    }

    var description: String { "\(method) \(uri) \(headers)" + (etagOf.map { " etag of #\($0)" } ?? "") }
}
