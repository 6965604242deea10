import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ISOBMFF
import NIOCore
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// The Smooth Streaming routes against presentations encoded from every clip in `testmedia/`.
@Suite struct RouteTests {
    /// Every fragment named by every `.ismc` answers 200 `video/mp4` with the stored moof+mdat whose `tfxd`
    /// carries the requested time and the manifest duration; HEAD gives the same headers and no body.
    @Test func everyFragmentOfEveryManifest() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let total = try await Harness.application(origin).test(.router) { client async throws in
            var total = 0
            for p in fx.presentations {
                let ism = Fixture.ismPath(p)
                let manifest = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
                #expect(manifest.status == .ok)
                #expect(manifest.headers[.contentType] == "text/xml")
                #expect(manifest.headers[.cacheControl] == "public, max-age=2")
                let bytes = Array(manifest.body.readableBytesView)
                let stored = try Data(contentsOf: p.directory.appendingPathComponent("\(p.name).ismc"))
                #expect(bytes == Array(stored), "Manifest of \(ism) is the .ismc")
                let references = try ClientManifest(xml: bytes).fragmentReferences()
                #expect(!references.isEmpty)
                for ref in references {
                    let uri = "/\(ism)/\(ref.path)"
                    let r = try await client.execute(uri: uri, method: .get)
                    #expect(r.status == .ok, "\(uri)")
                    #expect(r.headers[.contentType] == "video/mp4")
                    #expect(r.headers[.cacheControl] == "public, max-age=31536000, immutable")
                    #expect(r.headers[.accessControlAllowOrigin] == "*")
                    let body = Array(r.body.readableBytesView)
                    #expect(r.headers[.contentLength] == String(body.count))
                    let (tfxd, sampleBytes, mdatBody) = try Self.fragmentSummary(body)
                    #expect(tfxd.time == UInt64(ref.time), "tfxd time of \(uri)")
                    #expect(tfxd.duration == UInt64(ref.duration), "tfxd duration of \(uri)")
                    #expect(sampleBytes == mdatBody, "trun sizes fill the mdat of \(uri)")
                    let head = try await client.execute(uri: uri, method: .head)
                    #expect(head.status == .ok)
                    #expect(head.body.readableBytes == 0)
                    for name in [
                        HTTPField.Name.contentType, .contentLength, .eTag, .cacheControl, .accessControlAllowOrigin,
                    ] {
                        #expect(head.headers[name] == r.headers[name], "HEAD \(name) of \(uri)")
                    }
                    total += 1
                }
            }
            return total
        }
        // 6 clips of about 6 s: every fragment of every quality level.
        #expect(total > 50)
        print("OriginTests: \(total) fragments requested from \(fx.presentations.count) presentations")
    }

    /// (tfxd, sum of trun sample sizes, mdat body size) of one moof+mdat response body.
    static func fragmentSummary(_ body: [UInt8]) throws -> (TfxdBox, Int, Int) {
        var reader = ByteReader(body)
        guard let (moofHeader, _) = try reader.nextBox(), let (mdatHeader, _) = try reader.nextBox() else {
            throw ExternalToolError(message: "no moof+mdat")
        }
        try reader.expectEnd()
        #expect(moofHeader.type == "moof")
        #expect(mdatHeader.type == "mdat")
        let moof = try MoofBox.decode(Array(body[0..<Int(moofHeader.size)]))
        #expect(moof.trafs.count == 1)
        guard let traf = moof.trafs.first, let tfxd = traf.tfxd else { throw ExternalToolError(message: "no tfxd") }
        let sizes = traf.truns.reduce(0) { $0 + Int($1.totalSize) }
        return (tfxd, sizes, Int(mdatHeader.bodySize))
    }

    @Test func staticFilesHonourRangeAndHead() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let policy = Array(try Data(contentsOf: fx.root.appendingPathComponent("clientaccesspolicy.xml")))
        let p = try #require(fx.presentations.first { $0.renditions.contains { $0.kind == .video } })
        let ismvName = try #require(p.renditions.first { $0.kind == .video }?.file)
        let ismv = Array(try Data(contentsOf: p.directory.appendingPathComponent(ismvName)))
        try await Harness.application(origin).test(.router) { client async throws in
            let whole = try await client.execute(uri: "/clientaccesspolicy.xml", method: .get)
            #expect(whole.status == .ok)
            #expect(whole.headers[.contentType] == "text/xml")
            #expect(whole.headers[.acceptRanges] == "bytes")
            #expect(Array(whole.body.readableBytesView) == policy)
            #expect(try await client.execute(uri: "/crossdomain.xml", method: .get).status == .ok)

            let part = try await client.execute(
                uri: "/clientaccesspolicy.xml", method: .get, headers: [.range: "bytes=0-9"])
            #expect(part.status == .partialContent)
            #expect(part.headers[.contentRange] == "bytes 0-9/\(policy.count)")
            #expect(Array(part.body.readableBytesView) == Array(policy[0..<10]))

            let suffix = try await client.execute(
                uri: "/clientaccesspolicy.xml", method: .get, headers: [.range: "bytes=-5"])
            #expect(suffix.status == .partialContent)
            #expect(Array(suffix.body.readableBytesView) == Array(policy.suffix(5)))

            let open = try await client.execute(
                uri: "/clientaccesspolicy.xml", method: .get, headers: [.range: "bytes=100-"])
            #expect(open.status == .partialContent)
            #expect(Array(open.body.readableBytesView) == Array(policy[100...]))

            let beyond = try await client.execute(
                uri: "/clientaccesspolicy.xml", method: .get,
                headers: [.range: "bytes=\(policy.count)-"])
            #expect(beyond.status == .rangeNotSatisfiable)
            #expect(beyond.headers[.contentRange] == "bytes */\(policy.count)")

            for ignored in ["bytes=0-1,4-5", "bytes=9-3", "items=0-1", "bytes=x-"] {
                let r = try await client.execute(
                    uri: "/clientaccesspolicy.xml", method: .get, headers: [.range: ignored])
                #expect(r.status == .ok, "\(ignored) is ignored")
                #expect(r.body.readableBytes == policy.count)
            }

            let head = try await client.execute(uri: "/clientaccesspolicy.xml", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == String(policy.count))
            #expect(head.body.readableBytes == 0)

            // A media file larger than one read chunk goes out streamed, whole or in part.
            let mediaURI = "/\(p.prefix)\(ismvName)"
            let media = try await client.execute(uri: mediaURI, method: .get)
            #expect(media.status == .ok)
            #expect(media.headers[.contentType] == "video/mp4")
            #expect(Array(media.body.readableBytesView) == ismv)
            let lo = ismv.count / 3
            let hi = ismv.count - 7
            let middle = try await client.execute(uri: mediaURI, method: .get, headers: [.range: "bytes=\(lo)-\(hi)"])
            #expect(middle.status == .partialContent)
            #expect(Array(middle.body.readableBytesView) == Array(ismv[lo...hi]))
        }
    }

    @Test func fragmentsAndManifestsHonourRangeAndConditionalRequests() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let p = try #require(fx.presentations.first)
        let ism = Fixture.ismPath(p)
        try await Harness.application(origin).test(.router) { client async throws in
            let manifest = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            let ref = try #require(
                try ClientManifest(xml: Array(manifest.body.readableBytesView)).fragmentReferences().first)
            let uri = "/\(ism)/\(ref.path)"
            let whole = try await client.execute(uri: uri, method: .get)
            let bytes = Array(whole.body.readableBytesView)
            let part = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=8-99"])
            #expect(part.status == .partialContent)
            #expect(Array(part.body.readableBytesView) == Array(bytes[8...99]))
            #expect(part.headers[.contentRange] == "bytes 8-99/\(bytes.count)")

            let etag = try #require(whole.headers[.eTag])
            let cached = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified)
            #expect(cached.body.readableBytes == 0)
            let other = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"nope\""])
            #expect(other.status == .ok)

            let manifestTag = try #require(manifest.headers[.eTag])
            #expect(
                try await client.execute(uri: "/\(ism)/Manifest", method: .get, headers: [.ifNoneMatch: manifestTag])
                    .status
                    == .notModified)

            // FragmentInfo: the moof alone.
            let infoPath = ref.path.replacingOccurrences(of: "Fragments(", with: "FragmentInfo(")
            let info = try await client.execute(uri: "/\(ism)/\(infoPath)", method: .get)
            #expect(info.status == .ok)
            let moofSize = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            #expect(Array(info.body.readableBytesView) == Array(bytes[0..<moofSize]))
        }
    }

    @Test func corsOnEveryResponseAndPreflight() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root) { $0.corsOrigin = "https://player.example" }
        let ism = Fixture.ismPath(try #require(fx.presentations.first))
        try await Harness.application(origin).test(.router) { client async throws in
            for (uri, method, status) in [
                ("/\(ism)/Manifest", HTTPRequest.Method.get, HTTPResponse.Status.ok),
                ("/nothing-here", .get, .notFound),
                ("/\(ism)/QualityLevels(x)/Fragments(video=0)", .get, .badRequest),
                ("/\(ism)/Manifest", .post, .methodNotAllowed),
            ] {
                let r = try await client.execute(uri: uri, method: method)
                #expect(r.status == status, "\(method) \(uri)")
                #expect(r.headers[.accessControlAllowOrigin] == "https://player.example")
                #expect(r.headers[.vary] == "Origin")
                #expect(r.headers[.accessControlExposeHeaders]?.contains("Content-Range") == true)
            }
            let preflight = try await client.execute(
                uri: "/\(ism)/Manifest", method: .options,
                headers: [
                    .origin: "https://player.example",
                    .accessControlRequestMethod: "GET",
                    .accessControlRequestHeaders: "range",
                ])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowMethods] == "GET, HEAD, OPTIONS")
            #expect(preflight.headers[.accessControlAllowHeaders] == "range")
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://player.example")
        }
        let open = try Harness.origin(fx.root)
        try await Harness.application(open).test(.router) { client async throws in
            let r = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            #expect(r.headers[.accessControlAllowOrigin] == "*")
            #expect(r.headers[.vary] == nil)
        }
    }

    @Test func accessLogLinePerRequest() async throws {
        let fx = try await Fixture.shared()
        let handler = InMemoryLogHandlerBox()
        let origin = try Harness.origin(fx.root)
        let ism = Fixture.ismPath(try #require(fx.presentations.first))
        try await Harness.application(origin, logger: handler.logger).test(.router) { client async throws in
            _ = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            _ = try await client.execute(uri: "/missing.xml", method: .head)
        }
        let lines = handler.messages
        #expect(lines.count == 2)
        let first = try #require(lines.first)
        #expect(first.hasPrefix("GET /\(ism)/Manifest 200 "))
        #expect(lines.last?.hasPrefix("HEAD /missing.xml 404 0 ") == true)
    }

    /// The router matches decoded segments: percent-encoded spellings of the Smooth forms reach the same
    /// routes and get the same answers as the plain ones.
    @Test func encodedSpellingsReachTheSameRoutes() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let p = try #require(fx.presentations.first { $0.renditions.contains { $0.kind == .video } })
        let ism = Fixture.ismPath(p)
        let encodedISM = String(ism.dropLast(4)) + "%2Eism"
        let b = try #require(p.renditions.first { $0.kind == .video }).bitrate
        try await Harness.application(origin).test(.router) { client async throws in
            let plain = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            let encoded = try await client.execute(uri: "/\(encodedISM)/Manif%65st", method: .get)
            #expect(plain.status == .ok)
            #expect(encoded.status == .ok)
            #expect(encoded.body == plain.body)
            let direct = try await client.execute(uri: "/\(ism)/QualityLevels(\(b))/Fragments(video=0)", method: .get)
            let escaped = try await client.execute(
                uri: "/\(encodedISM)/QualityLevels%28\(b)%29/Fragments%28video%3D0%29", method: .get)
            #expect(direct.status == .ok)
            #expect(escaped.status == .ok)
            #expect(escaped.body == direct.body)
            #expect(escaped.headers[.eTag] == direct.headers[.eTag])
        }
    }

    /// With the default revalidation interval, repeated requests are answered from the in-memory indexes
    /// (no file access): every Manifest and fragment answer, and its headers, equal the first (file-backed) one.
    @Test func answersFromMemoryEqualAnswersFromFiles() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root) { $0.revalidateAfter = .seconds(3600) }
        try await Harness.application(origin).test(.router) { client async throws in
            for p in fx.presentations {
                let ism = Fixture.ismPath(p)
                let manifest = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
                let again = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
                #expect(again.status == .ok)
                #expect(again.body == manifest.body)
                #expect(again.headers[.eTag] == manifest.headers[.eTag])
                for ref in try ClientManifest(xml: Array(manifest.body.readableBytesView)).fragmentReferences() {
                    let uri = "/\(ism)/\(ref.path)"
                    let first = try await client.execute(uri: uri, method: .get)
                    let second = try await client.execute(uri: uri, method: .get)
                    let ranged = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=4-11"])
                    #expect(first.status == .ok, "\(uri)")
                    #expect(second.status == .ok, "\(uri)")
                    #expect(second.body == first.body, "\(uri)")
                    #expect(second.headers[.eTag] == first.headers[.eTag], "\(uri)")
                    #expect(second.headers[.contentLength] == first.headers[.contentLength], "\(uri)")
                    #expect(ranged.status == .partialContent, "\(uri)")
                    #expect(
                        Array(ranged.body.readableBytesView) == Array(Array(first.body.readableBytesView)[4..<12]),
                        "\(uri)")
                }
            }
        }
    }

    @Test func presentationsAreFound() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        #expect(origin.presentationPaths() == fx.presentations.map(Fixture.ismPath).sorted())
    }

    /// A changed `.ismc` is served at once (identity check on every request when `revalidateAfter` is 0).
    @Test func changedFilesAreReloaded() async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first)
        let root = try Fixture.copy(p, of: fx, label: "origin-reload")
        defer { try? FileManager.default.removeItem(at: root) }
        let origin = try Harness.origin(root)
        let ism = Fixture.ismPath(p)
        let ismc = root.appendingPathComponent(p.prefix).appendingPathComponent("\(p.name).ismc")
        try await Harness.application(origin).test(.router) { client async throws in
            let before = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            var text = try String(contentsOf: ismc, encoding: .utf8)
            text += "<!-- changed -->\n"
            try text.write(to: ismc, atomically: true, encoding: .utf8)
            let after = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            #expect(after.body.readableBytes == before.body.readableBytes + 17)
            #expect(after.headers[.eTag] != before.headers[.eTag])
        }
    }
}
