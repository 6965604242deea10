import Foundation
import Hummingbird
import HummingbirdTesting
import ISOBMFF
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// `serve` answers a text stream's fragment URLs like any other: each is the `.ismt` fragment whose tfxd is
/// the URL's time, and the Manifest lists the `Type="text"` stream.
@Suite struct CaptionRouteTests {
    @Test func textFragmentsAreServed() async throws {
        let root = try TestPaths.temporaryDirectory("origin-captions")
        let inbox = root.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
        let source = inbox.appendingPathComponent("clip.mp4")
        try FileManager.default.copyItem(atPath: TestPaths.testMedia("bars-25fps-stereo.mp4"), toPath: source.path)
        try Data("1\n00:00:01,000 --> 00:00:03,000\nHello\n".utf8).write(to: inbox.appendingPathComponent("clip.de.srt"))
        let out = root.appendingPathComponent("out")
        let p = try await Packager(profile: .named("fast")).encode(source: source, into: out)
        let origin = try Harness.origin(out)
        let served = try await Harness.application(origin).test(.router) { client async throws in
            let ism = "\(p.prefix)\(p.name).ism"
            let manifest = try await client.execute(uri: "/\(ism)/Manifest", method: .get)
            #expect(manifest.status == .ok)
            let client2 = try ClientManifest(xml: Array(manifest.body.readableBytesView))
            let text = try #require(client2.streams.first { $0.type == .text })
            #expect(text.name == "textstream_de" && text.language == "deu")
            var served = 0
            for ref in client2.fragmentReferences() where ref.streamName == text.name {
                let r = try await client.execute(uri: "/\(ism)/\(ref.path)", method: .get)
                #expect(r.status == .ok, "\(ref.path)")
                let (tfxd, sampleBytes, mdatBody) = try RouteTests.fragmentSummary(Array(r.body.readableBytesView))
                #expect(tfxd.time == UInt64(ref.time) && tfxd.duration == UInt64(ref.duration))
                #expect(sampleBytes == mdatBody)
                let body = Array(r.body.readableBytesView)
                let document = String(decoding: body.suffix(mdatBody), as: UTF8.self)
                #expect(document.hasPrefix("<?xml") && document.contains("<tt "), "\(ref.path)")
                served += 1
            }
            let missing = try await client.execute(uri: "/\(ism)/QualityLevels(\(text.qualityLevels[0].bitrate))/Fragments(textstream_de=1)",
                                                   method: .get)
            #expect(missing.status == .notFound)
            return served
        }
        #expect(served >= 3)
    }
}
