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

/// Requests that must never reach outside the root, crash, or yield a 500: each asserts its status.
@Suite struct HostileRequestTests {
    /// Traversal in several encodings, absolute paths, NUL and hidden names: all 404, invalid encodings 400.
    @Test(arguments: [
        ("/../../../../etc/passwd", 404),
        ("/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/%2E%2E/%2E%2E/etc/passwd", 404),
        ("/.%2e/.%2e/etc/passwd", 404),
        ("/..%2f..%2f..%2fetc%2fpasswd", 404),
        ("/%252e%252e/%252e%252e/etc/passwd", 404),  // double-encoded: decoded once, stays a plain name
        ("/..%252f..%252fetc%252fpasswd", 404),
        ("/%2fetc%2fpasswd", 404),
        ("//etc/passwd", 404),
        ("/etc/passwd", 404),
        ("http://127.0.0.1/../../etc/passwd", 404),
        ("etc/passwd", 404),
        ("/clientaccesspolicy.xml%00.png", 404),
        ("/a%00/../clientaccesspolicy.xml", 404),
        ("/.hidden", 404),
        ("/%2e", 404),
        ("/a\\..\\..\\etc\\passwd", 404),
        ("/", 404),
        ("/%c0%ae%c0%ae/etc/passwd", 400),  // overlong UTF-8 for ".": not UTF-8, refused
        ("/bad%zzescape", 400),
        ("/bad%", 400),
    ])
    func pathsOutsideTheRoot(target: String, status: Int) async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        try await Harness.application(origin).test(.router) { client async throws in
            let r = try await client.execute(uri: target, method: .get)
            #expect(Int(r.status.code) == status, "\(target)")
            #expect(!String(buffer: r.body).contains("root:"))
        }
    }

    /// Unknown presentation, bitrate, track or time: 404; malformed forms: 400.
    @Test func unknownAndMalformedSmoothRequests() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let p = try #require(fx.presentations.first { $0.renditions.contains { $0.kind == .video } })
        let ism = Fixture.ismPath(p)
        let video = try #require(p.renditions.first { $0.kind == .video })
        let b = video.bitrate
        let cases: [(String, Int)] = [
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=0)", 200),
            ("/nope/\(p.name).ism/Manifest", 404),
            ("/\(p.prefix)other.ism/Manifest", 404),
            ("/\(p.prefix)other.ism/QualityLevels(\(b))/Fragments(video=0)", 404),
            ("/\(ism)/QualityLevels(\(b + 1))/Fragments(video=0)", 404),
            ("/\(ism)/QualityLevels(\(b))/Fragments(subtitles=0)", 404),
            ("/\(ism)/QualityLevels(\(b))/Fragments(audio=0)", 404),  // audio is not at the video bitrate
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=1)", 404),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=999999999999999999)", 404),
            ("/\(ism)/QualityLevels(\(b))/RawFragments(video=0)", 404),
            ("/\(ism)/QualityLevels(\(b))/KeyFrames(video=0)", 404),
            ("/\(ism)/Manifests", 404),
            ("/\(ism)/manifest", 404),
            ("/\(ism)/Manifest/extra", 404),
            ("/\(ism)/QualityLevels(abc)/Fragments(video=0)", 400),
            ("/\(ism)/QualityLevels()/Fragments(video=0)", 400),
            ("/\(ism)/QualityLevels(-\(b))/Fragments(video=0)", 400),
            ("/\(ism)/QualityLevels(0)/Fragments(video=0)", 400),
            ("/\(ism)/QualityLevels(\(b),Attr=1)/Fragments(video=0)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(=0)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=-1)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=1e7)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=0x10)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=1234567890123456789)", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=0", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragment(video=0)", 400),
            ("/\(ism)/QualityLevels(\(b))", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(video=0)/more", 400),
            ("/\(ism)/QualityLevels(\(b))/Fragments(vid%20eo=0)", 400),
        ]
        try await Harness.application(origin).test(.router) { client async throws in
            for (uri, status) in cases {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(Int(r.status.code) == status, "\(uri)")
            }
        }
    }

    /// Targets longer than 4096 bytes: 414, even when they would otherwise be fine.
    @Test func overLongTargets() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        try await Harness.application(origin).test(.router) { client async throws in
            let exact = "/" + String(repeating: "a", count: 4095)
            #expect(try await client.execute(uri: exact, method: .get).status == .notFound)
            let nested = "/" + String(repeating: "a/", count: 2047) + "a"
            #expect(try await client.execute(uri: nested, method: .get).status == .notFound)
            #expect(try await client.execute(uri: exact + "a", method: .get).status == .uriTooLong)
            #expect(
                try await client.execute(
                    uri: "/clientaccesspolicy.xml?" + String(repeating: "q", count: 5000),
                    method: .get
                ).status == .uriTooLong)
        }
    }

    /// Symlinks (and `.ism` sources) leading outside the root are 404; ones staying inside are served.
    @Test func symlinksOutsideTheRoot() async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first { $0.renditions.contains { $0.kind == .video } })
        let root = try Fixture.copy(p, of: fx, label: "origin-symlinks")
        defer { try? FileManager.default.removeItem(at: root) }
        let outside = try TestPaths.temporaryDirectory("origin-outside")
        defer { try? FileManager.default.removeItem(at: outside) }
        try "secret".write(to: outside.appendingPathComponent("secret.xml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: p.directory, to: outside.appendingPathComponent("pres"))
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("escape").path, withDestinationPath: outside.path)
        try fm.createSymbolicLink(
            atPath: root.appendingPathComponent("secret.xml").path,
            withDestinationPath: outside.appendingPathComponent("secret.xml").path)
        try fm.createSymbolicLink(
            atPath: root.appendingPathComponent("inside.xml").path,
            withDestinationPath: root.appendingPathComponent("clientaccesspolicy.xml").path)
        try fm.createSymbolicLink(
            atPath: root.appendingPathComponent("linked.ism").path,
            withDestinationPath: outside.appendingPathComponent("pres/\(p.name).ism").path)
        // An .ism inside the root whose media src climbs out of it.
        let video = try #require(p.renditions.first { $0.kind == .video })
        let ismText = try String(contentsOf: p.serverManifest, encoding: .utf8)
            .replacingOccurrences(
                of: "src=\"\(video.file)\"", with: "src=\"../../../\(outside.lastPathComponent)/pres/\(video.file)\"")
        let climbing = root.appendingPathComponent(p.prefix).appendingPathComponent("climb.ism")
        try ismText.write(to: climbing, atomically: true, encoding: .utf8)

        let origin = try Harness.origin(root)
        let ism = Fixture.ismPath(p)
        try await Harness.application(origin).test(.router) { client async throws in
            let cases: [(String, Int)] = [
                ("/escape/secret.xml", 404),
                ("/escape/pres/\(p.name).ism/Manifest", 404),
                ("/secret.xml", 404),
                ("/linked.ism/Manifest", 404),
                ("/linked.ism/QualityLevels(\(video.bitrate))/Fragments(video=0)", 404),
                ("/\(p.prefix)climb.ism/QualityLevels(\(video.bitrate))/Fragments(video=0)", 404),
                ("/inside.xml", 200),
                ("/\(ism)/QualityLevels(\(video.bitrate))/Fragments(video=0)", 200),
            ]
            for (uri, status) in cases {
                let r = try await client.execute(uri: uri, method: .get)
                #expect(Int(r.status.code) == status, "\(uri)")
                #expect(!String(buffer: r.body).contains("secret"))
            }
        }
    }

    /// A damaged media file gives 502 for its fragments, logged once, while its other files and every other
    /// presentation keep working; a broken `.ism` or a missing `.ismc` gives 502 for that presentation only.
    @Test func corruptMediaIsBadGatewayAndTheRestKeepsWorking() async throws {
        let fx = try await Fixture.shared()
        let videos = fx.presentations.filter { $0.renditions.filter { $0.kind == .video }.count >= 2 }
        let p = try #require(videos.first)
        let healthy = try #require(videos.dropFirst().first)
        let root = try Fixture.copy(p, of: fx, label: "origin-corrupt")
        defer { try? FileManager.default.removeItem(at: root) }
        let healthyDir = root.appendingPathComponent(healthy.prefix)
        try FileManager.default.createDirectory(
            at: healthyDir.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: healthy.directory, to: healthyDir)

        let dir = root.appendingPathComponent(p.prefix)
        let rungs = p.renditions.filter { $0.kind == .video }
        let (truncated, garbled, good) = (rungs[0], rungs[1], rungs.count > 2 ? rungs[2] : nil)
        // Truncate one file: its mfro/mfra tail is gone.
        let handle = try FileHandle(forWritingTo: dir.appendingPathComponent(truncated.file))
        try handle.truncate(atOffset: try handle.seekToEnd() - 100)
        try handle.close()
        // Overwrite the first moof header of another: the tfra entry points at garbage.
        let garbledURL = dir.appendingPathComponent(garbled.file)
        let index = try RandomAccessIndexProbe.firstMoofOffset(garbledURL.path)
        let g = try FileHandle(forWritingTo: garbledURL)
        try g.seek(toOffset: index)
        try g.write(contentsOf: Data(repeating: 0xEE, count: 8))
        try g.close()

        let log = InMemoryLogHandlerBox()
        let origin = try Harness.origin(root, logger: log.logger)
        let ism = Fixture.ismPath(p)
        let manifest = try ClientManifest(
            xml: Array(try Data(contentsOf: dir.appendingPathComponent("\(p.name).ismc"))))
        let times = try #require(manifest.streams.first { $0.type == .video }).chunks.map(\.time)
        try await Harness.application(origin, logger: log.logger).test(.router) { client async throws in
            for _ in 0..<3 {
                for t in times {
                    let r = try await client.execute(
                        uri: "/\(ism)/QualityLevels(\(truncated.bitrate))/Fragments(video=\(t))", method: .get)
                    #expect(r.status == .badGateway)
                }
            }
            let first = try await client.execute(
                uri: "/\(ism)/QualityLevels(\(garbled.bitrate))/Fragments(video=0)", method: .get)
            #expect(first.status == .badGateway)
            let again = try await client.execute(
                uri: "/\(ism)/QualityLevels(\(garbled.bitrate))/Fragments(video=0)", method: .get)
            #expect(again.status == .badGateway)
            if times.count > 1 {
                let later = try await client.execute(
                    uri: "/\(ism)/QualityLevels(\(garbled.bitrate))/Fragments(video=\(times[1]))",
                    method: .get)
                #expect(later.status == .ok, "other fragments of the garbled file are intact")
            }
            if let good {
                #expect(
                    try await client.execute(
                        uri: "/\(ism)/QualityLevels(\(good.bitrate))/Fragments(video=0)", method: .get
                    ).status
                        == .ok)
            }
            #expect(try await client.execute(uri: "/\(ism)/Manifest", method: .get).status == .ok)
            let other = Fixture.ismPath(healthy)
            #expect(try await client.execute(uri: "/\(other)/Manifest", method: .get).status == .ok)
            let hv = try #require(healthy.renditions.first { $0.kind == .video })
            #expect(
                try await client.execute(uri: "/\(other)/QualityLevels(\(hv.bitrate))/Fragments(video=0)", method: .get)
                    .status
                    == .ok)
        }
        let errors = log.errors
        #expect(
            errors.filter { $0.contains(truncated.file) }.count == 1, "one log line for the truncated file: \(errors)")
        #expect(
            errors.filter { $0.contains(garbled.file) }.count == 1, "one log line for the garbled fragment: \(errors)")

        // A broken .ism, then a missing .ismc: 502 for that presentation, the other one unaffected.
        let ismURL = dir.appendingPathComponent("\(p.name).ism")
        try "<smil><body><switch><video src=".write(to: ismURL, atomically: true, encoding: .utf8)
        try await Harness.application(origin).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/\(ism)/Manifest", method: .get).status == .badGateway)
            #expect(
                try await client.execute(uri: "/\(ism)/QualityLevels(1)/Fragments(video=0)", method: .get).status
                    == .badGateway)
            #expect(try await client.execute(uri: "/\(Fixture.ismPath(healthy))/Manifest", method: .get).status == .ok)
        }
        try FileManager.default.removeItem(at: ismURL)
        try FileManager.default.copyItem(at: p.serverManifest, to: ismURL)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("\(p.name).ismc"))
        try await Harness.application(origin).test(.router) { client async throws in
            #expect(try await client.execute(uri: "/\(ism)/Manifest", method: .get).status == .badGateway)
        }
    }

    /// On a real socket: hostile and corrupt requests, then ordinary ones still answered.
    @Test func liveServerKeepsAnswering() async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first { $0.renditions.contains { $0.kind == .video } })
        let root = try Fixture.copy(p, of: fx, label: "origin-live-hostile")
        defer { try? FileManager.default.removeItem(at: root) }
        let video = try #require(p.renditions.first { $0.kind == .video })
        let handle = try FileHandle(
            forWritingTo: root.appendingPathComponent(p.prefix).appendingPathComponent(video.file))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let origin = try Harness.origin(root)
        let ism = Fixture.ismPath(p)
        let log = InMemoryLogHandlerBox()
        try await Harness.withLiveServer(origin, logger: log.logger) { server in
            let targets: [(String, Int)] = [
                ("/../../etc/passwd", 404), ("/%2e%2e/%2e%2e/etc/passwd", 404), ("/%252e%252e/etc/passwd", 404),
                ("/" + String(repeating: "x", count: 6000), 414),
                ("/\(ism)/QualityLevels(\(video.bitrate))/Fragments(video=0)", 502),
                ("/\(ism)/QualityLevels(zz)/Fragments(video=0)", 400),
                ("/\(ism)/Manifest", 200), ("/clientaccesspolicy.xml", 200),
            ]
            for (target, status) in targets {
                let r = try await server.status(target)
                #expect(r == status, "\(target)")
            }
        }
    }
}

/// Finds the first moof offset through the library's own index reader.
enum RandomAccessIndexProbe {
    static func firstMoofOffset(_ path: String) throws -> UInt64 {
        let index = try RandomAccessIndex.load(from: try FileSource(path: path))
        return try #require(index.tables.first?.entries.first?.moofOffset)
    }
}
