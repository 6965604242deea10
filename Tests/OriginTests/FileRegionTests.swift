import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTP1
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin
@testable import Platform

/// Large bodies sent with `sendfile` (``RegionSender``): the handler on its own, then a live server whose
/// answers must equal, byte for byte and header for header, what the copying path gives for the same request.
@Suite struct FileRegionTests {
    /// A file of `count` known bytes and a duplicate descriptor of it, as a route would post.
    static func region(_ range: Range<Int64>, count: Int = 4096) throws -> (RegionMailbox.Region, ReadableFile) {
        let dir = try TestPaths.temporaryDirectory("file-region")
        let url = dir.appendingPathComponent("media.bin")
        try Data((0..<count).map { UInt8($0 & 0xFF) }).write(to: url)
        let file = try ReadableFile(path: url.path)
        return (.init(descriptor: try file.duplicateDescriptor(), range: range), file)
    }

    static func head(marked key: UInt64?, length: Int) -> HTTPServerResponsePart {
        var headers = HTTPHeaders([("content-type", "video/mp4"), ("content-length", String(length))])
        if let key { headers.add(name: FileRegions.header, value: String(key)) }
        return .head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))
    }

    @Test func thePostedRegionGoesOutBetweenHeadAndEnd() throws {
        let count = EventCount()
        let sender = RegionSender(logger: Harness.quiet, sent: count)
        let channel = EmbeddedChannel(handler: sender)
        defer { _ = try? channel.finish() }
        let (region, file) = try Self.region(100..<3000)
        defer { file.close() }
        let key = try #require(sender.mailbox.post(region))
        try channel.writeOutbound(Self.head(marked: key, length: 2900))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        guard case .head(let head) = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self)) else {
            Issue.record("first part is not the head")
            return
        }
        #expect(head.status == .ok)
        #expect(!head.headers.contains(name: FileRegions.header), "the internal header never leaves")
        #expect(head.headers["content-length"] == ["2900"])
        guard case .body(.fileRegion(let sent)) = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self))
        else {
            Issue.record("second part is not a file region")
            return
        }
        #expect(sent.readerIndex == 100 && sent.endIndex == 3000)
        guard case .end = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self)) else {
            Issue.record("third part is not the end")
            return
        }
        #expect(sender.mailbox.pendingCount == 0)
        #expect(count.value == 1)
    }

    /// A marked head whose region was never posted (or already taken) must not promise bytes it cannot send.
    @Test func aMarkedHeadWithoutItsRegionIsA502WithoutBody() throws {
        let channel = EmbeddedChannel(handler: RegionSender(logger: Harness.quiet))
        defer { _ = try? channel.finish() }
        try channel.writeOutbound(Self.head(marked: 42, length: 5000))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        guard case .head(let head) = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self)) else {
            Issue.record("first part is not the head")
            return
        }
        #expect(head.status == .badGateway)
        #expect(head.headers["content-length"] == ["0"])
        #expect(head.headers["cache-control"] == ["no-store"], "a cache must not keep the failure")
        #expect(head.headers["content-type"].isEmpty)
        #expect(!head.headers.contains(name: FileRegions.header))
        guard case .end = try #require(try channel.readOutbound(as: HTTPServerResponsePart.self)) else {
            Issue.record("a body was sent for a 502 without one")
            return
        }
    }

    /// Unmarked responses pass untouched; a connection that goes away closes what was posted and refuses more.
    @Test func unmarkedResponsesPassAndClosingReleasesPostedRegions() throws {
        let sender = RegionSender(logger: Harness.quiet)
        let channel = EmbeddedChannel(handler: sender)
        try channel.writeOutbound(Self.head(marked: nil, length: 3))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "abc"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        var parts = 0
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            if case .body(.fileRegion) = part { Issue.record("an unmarked response got a file region") }
            parts += 1
        }
        #expect(parts == 3)
        #expect(RegionMailbox.lookup(channel) === sender.mailbox, "the connection's routes find its mailbox")
        let (region, file) = try Self.region(0..<10)
        defer { file.close() }
        #expect(sender.mailbox.post(region) != nil)
        #expect(sender.mailbox.pendingCount == 1)
        _ = try channel.finish()
        #expect(sender.mailbox.pendingCount == 0)
        #expect(RegionMailbox.lookup(channel) == nil)
        let (late, lateFile) = try Self.region(0..<10)
        defer { lateFile.close() }
        #expect(sender.mailbox.post(late) == nil, "a post after the connection closed is refused (and closed)")
    }

    /// A client that pipelines requests without reading the answers holds at most
    /// ``RegionMailbox/maximumOpen`` descriptors on its connection: later posts are refused (their bodies are
    /// then copied) and their descriptors closed, and a region sent makes room again.
    @Test func aConnectionHoldsABoundedNumberOfDescriptors() throws {
        let sender = RegionSender(logger: Harness.quiet)
        let channel = EmbeddedChannel(handler: sender)
        defer { _ = try? channel.finish() }
        let (first, file) = try Self.region(0..<100)
        defer { file.close() }
        var keys = [try #require(sender.mailbox.post(first))]
        for _ in 1..<RegionMailbox.maximumOpen {
            let region = RegionMailbox.Region(descriptor: try file.duplicateDescriptor(), range: 0..<100)
            keys.append(try #require(sender.mailbox.post(region)))
        }
        #expect(sender.mailbox.openCount == RegionMailbox.maximumOpen)
        let refused = try file.duplicateDescriptor()
        #expect(sender.mailbox.post(.init(descriptor: refused, range: 0..<100)) == nil)
        // Closed: the number no longer names this file (another test's open may already have reused it).
        let probe = try file.duplicateDescriptor()
        let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(probe)")
        _ = close(probe)
        let named = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(refused)")
        #expect(named != path, "the refused descriptor is closed")
        try channel.writeOutbound(Self.head(marked: keys[0], length: 100))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))  // written and flushed: sent
        while try channel.readOutbound(as: HTTPServerResponsePart.self) != nil {}
        #expect(sender.mailbox.openCount == RegionMailbox.maximumOpen - 1, "sent and closed")
        #expect(sender.mailbox.post(.init(descriptor: try file.duplicateDescriptor(), range: 0..<100)) != nil)
    }

    /// No duplicate of a closed file, nor of one that shrank since it was opened (a `sendfile` past its end
    /// would leave the response short and NIO retrying).
    @Test func aDuplicateIsRefusedOnceTheFileIsClosedOrShrunk() throws {
        let (region, file) = try Self.region(0..<10)
        _ = Glibc.close(region.descriptor)  // the test's own duplicate
        file.close()
        #expect(throws: PlatformError.self) { _ = try file.duplicateDescriptor() }

        let url = try TestPaths.temporaryDirectory("file-region").appendingPathComponent("shrinking.bin")
        try Data(count: 4096).write(to: url)
        let shrinking = try ReadableFile(path: url.path)
        defer { shrinking.close() }
        #expect(truncate(url.path, 100) == 0)
        #expect { _ = try shrinking.duplicateDescriptor() } throws: { error in
            (error as? PlatformError)?.kind == .truncated
        }
    }

    /// Every fragment of two presentations, whole and in ranges, plus a range of an `.ismv` (how DASH and HLS
    /// players read), over a live server's connection (file regions) and through the router test client
    /// (copies): the same status, headers and bytes.
    @Test func liveAnswersEqualTheCopyingPath() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        var targets: [Target] = []
        for p in fx.presentations.prefix(2) {
            for uri in try Fixture.fragmentTargets(p) {
                targets.append(Target(uri: uri))
                targets.append(Target(uri: uri, range: "bytes=7-"))
                targets.append(Target(uri: uri, range: "bytes=-20000"))
                targets.append(Target(uri: uri, range: "bytes=100-20099"))
            }
            if let video = p.renditions.first(where: { $0.kind == .video }) {
                let media = "/\(p.prefix)\(video.file)"
                targets.append(Target(uri: media, range: "bytes=0-99999"))
                targets.append(Target(uri: media, range: "bytes=50000-"))
            }
        }
        let app = Harness.application(origin)
        let all = targets
        let copied = try await app.test(.router) { client async throws in
            var out: [Answer] = []
            for t in all { out.append(Answer(try await client.execute(uri: t.uri, method: .get, headers: t.headers))) }
            return out
        }
        #expect(origin.regionsSent.value == 0)
        let live = try await app.test(.live) { client async throws in
            var out: [Answer] = []
            for t in all { out.append(Answer(try await client.execute(uri: t.uri, method: .get, headers: t.headers))) }
            return out
        }
        let large = copied.filter { $0.body.count >= Int(FileRegions.minimumLength) }.count
        #expect(large > 20, "enough bodies take the sendfile path")
        #expect(origin.regionsSent.value == large, "every large body went out as a file region, and only those")
        #expect(copied.count == live.count)
        for (i, (a, b)) in zip(copied, live).enumerated() {
            #expect(a.status == b.status, "\(targets[i])")
            #expect(a.headers == b.headers, "\(targets[i])")
            #expect(a.body == b.body, "\(targets[i]): \(a.body.count) bytes copied, \(b.body.count) sent")
        }
    }

    /// Fifty requests written at once on one connection (as wrk and some players pipeline them): each answer
    /// has its own bytes, in order.
    @Test func pipelinedRequestsGetTheirOwnBodies() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let uris = try Fixture.fragmentTargets(try #require(fx.presentations.first))
        let order = (0..<50).map { uris[($0 * 7) % uris.count] }
        let expected = try await Harness.application(origin).test(.router) { client async throws in
            var out: [String] = []
            for uri in order {
                out.append(Digests.hex(SHA256.hash(Answer(try await client.execute(uri: uri, method: .get)).body)))
            }
            return out
        }
        let lines = try await Harness.withLiveServer(origin, logger: Harness.quiet) { server in
            try await RawClient.pipelined(port: server.port, batches: [order])
        }
        #expect(lines == expected.map { "200 \($0)" })
    }
}

/// One answer, comparable.
struct Answer: Equatable, Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    init(_ r: TestResponse) {
        status = Int(r.status.code)
        // Date changes by the second and only a live server names itself; the rest must match exactly.
        headers = Dictionary(
            r.headers.filter { $0.name != .date && $0.name != .server }.map { ($0.name.canonicalName, $0.value) },
            uniquingKeysWith: { a, b in a + "," + b })
        body = Array(r.body.readableBytesView)
    }
}

/// A GET, optionally with a `Range` header.
struct Target: CustomStringConvertible, Sendable {
    var uri: String
    var range: String?
    var headers: HTTPFields { range.map { [.range: $0] } ?? [:] }
    var description: String { uri + (range.map { " " + $0 } ?? "") }
}
