import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

@testable import Origin

/// The pre-split static tree holds exactly the bytes `serve` answers, and serves as plain files.
@Suite struct SplitTreeTests {
    @Test func splitFilesEqualServerResponses() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let target = try TestPaths.temporaryDirectory("origin-split")
        defer { try? FileManager.default.removeItem(at: target) }
        let summaries = try StaticTreeWriter(origin: origin).writeAll(into: target.path)
        #expect(summaries.map(\.presentation) == fx.presentations.map(Fixture.ismPath).sorted())
        for name in StaticTreeWriter.policyFiles {
            #expect(
                FileManager.default.contentsEqual(
                    atPath: target.appendingPathComponent(name).path,
                    andPath: fx.root.appendingPathComponent(name).path))
        }
        // The split tree served as static files by the same server: same bytes, same types, same cache policy.
        let splitOrigin = try Harness.origin(target)
        let served = try await Harness.application(origin).test(.router) { dynamic async throws in
            try await Harness.application(splitOrigin).test(.router) { split async throws in
                var compared = 0
                for summary in summaries {
                    let ism = summary.presentation
                    let manifestURI = "/\(ism)/Manifest"
                    let m = try await dynamic.execute(uri: manifestURI, method: .get)
                    let mFile = Array(try Data(contentsOf: URL(fileURLWithPath: summary.folder + "/Manifest")))
                    #expect(Array(m.body.readableBytesView) == mFile, "\(manifestURI)")
                    let sm = try await split.execute(uri: manifestURI, method: .get)
                    #expect(sm.status == .ok)
                    #expect(sm.headers[.contentType] == "text/xml")
                    #expect(Array(sm.body.readableBytesView) == mFile)
                    var files = 1
                    for ref in try ClientManifest(xml: mFile).fragmentReferences() {
                        let uri = "/\(ism)/\(ref.path)"
                        let d = try await dynamic.execute(uri: uri, method: .get)
                        let file = Array(try Data(contentsOf: URL(fileURLWithPath: summary.folder + "/" + ref.path)))
                        #expect(d.status == .ok)
                        #expect(Array(d.body.readableBytesView) == file, "split file of \(uri)")
                        let s = try await split.execute(uri: uri, method: .get)
                        #expect(s.status == .ok)
                        #expect(s.headers[.contentType] == "video/mp4")
                        #expect(s.headers[.cacheControl] == d.headers[.cacheControl])
                        #expect(Array(s.body.readableBytesView) == file)
                        files += 1
                        compared += 1
                    }
                    #expect(summary.files == files)
                }
                return compared
            }
        }
        #expect(served == summaries.reduce(0) { $0 + $1.files - 1 })
    }

    /// Players enter a presentation through its Manifest: a split stopped halfway leaves none that names fragments
    /// not written yet. (A folder where the last fragment's file must go makes its write fail.)
    @Test func aSplitStoppedHalfwayLeavesNoManifest() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let target = try TestPaths.temporaryDirectory("origin-split-halfway")
        defer { try? FileManager.default.removeItem(at: target) }
        let ism = try #require(fx.presentations.map(Fixture.ismPath).sorted().first)
        let manifest = try ClientManifest(xml: try origin.manifestBytes(presentation: ism))
        let last = try #require(manifest.fragmentReferences().last)
        let blocker = target.appendingPathComponent(ism).appendingPathComponent(last.path).appendingPathComponent("x")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        #expect(throws: OriginError.self) { try StaticTreeWriter(origin: origin).write(presentation: ism, into: target.path) }
        let folder = target.appendingPathComponent(ism)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("Manifest").path))
        // What was written before the failure is there; only the entry point is missing.
        let first = try #require(manifest.fragmentReferences().first)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(first.path).path))
    }

    @Test func splitTreeIsRefusedInsideTheServedFolder() async throws {
        let fx = try await Fixture.shared()
        let origin = try Harness.origin(fx.root)
        let inside = fx.root.appendingPathComponent("split/tree")
        #expect(throws: OriginError.self) { try StaticTreeWriter(origin: origin).writeAll(into: inside.path) }
        #expect(!FileManager.default.fileExists(atPath: fx.root.appendingPathComponent("split").path))
    }
}
