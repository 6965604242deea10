import Foundation
import ISOBMFF
import SmoothManifest
import Testing
import TestSupport

/// Every input the fuzzers (scripts/fuzz, harnesses in Fuzz/) ever crashed on, kept as
/// `FuzzRegressions/<target>-<fix>.bin` and fed to the same entry points as the harness: each must give a typed
/// error or a valid parse — reaching the end of this test without a trap is the assertion.
@Suite struct FuzzRegressionTests {
    static let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/HostileInputTests/FuzzRegressions")

    static var inputs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".bin") }.sorted()
    }

    @Test func namesSayTargetAndFix() {
        for name in Self.inputs {
            let target = name.split(separator: "-").first.map(String.init) ?? ""
            #expect(["BoxReader", "ManifestReader", "FragmentRequest"].contains(target),
                    "\(name): name it <target>-<fix>.bin with target BoxReader, ManifestReader or FragmentRequest")
        }
    }

    @Test(arguments: inputs)
    func replay(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
        switch name.split(separator: "-").first {
        case "BoxReader": Self.boxReader(bytes)
        case "ManifestReader": Self.manifestReaders(bytes)
        case "FragmentRequest": Self.fragmentRequest(bytes)
        default: Issue.record("\(name): unknown target")
        }
    }

    /// The same calls as Fuzz/BoxReader/main.swift.
    static func boxReader(_ bytes: [UInt8]) {
        let source = MemorySource(bytes)
        if let nodes = try? BoxDump.tree(of: source) {
            _ = BoxDump.render(nodes)
            _ = BoxDump.json(nodes)
        }
        _ = IsmvChecker.check(source)
        _ = try? RandomAccessIndex.load(from: source)
        _ = try? FragmentIndex.read(from: source)
        _ = try? MovieReader.tracks(in: source)
    }

    /// The same calls as Fuzz/ManifestReader/main.swift.
    static func manifestReaders(_ bytes: [UInt8]) {
        if let server = try? ServerManifest(xml: bytes) {
            for track in server.tracks { _ = server.track(bitrate: track.systemBitrate, name: track.name) }
        }
        _ = try? ClientManifest(xml: bytes)
    }

    /// The same calls as Fuzz/FragmentRequest/main.swift.
    static func fragmentRequest(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if let request = FragmentRequest(path: text) {
            #expect(FragmentRequest(path: request.path) == request, "round trip changed \(text) → \(request.path)")
        }
    }
}
