import Captions
import Foundation
import ISOBMFF
import SmoothManifest
import Testing
import TestSupport

/// Replays the committed seed corpus (`FuzzCorpus/<target>/`) and every input a fuzzer crashed on
/// (`FuzzRegressions/<target>-<fix>.bin`) through the same entry functions the libFuzzer harnesses in `Fuzz/`
/// call (`ISOBMFF.FuzzEntry.boxReader`, `SmoothManifest.FuzzEntry.manifestReader` and `.fragmentRequest`,
/// `Captions.FuzzEntry.captionParsers` and `.ttmlParser`):
/// each must give a typed error or a valid parse with no broken invariant. A target without files, or an
/// empty regression folder, fails: a replay of nothing proves nothing.
@Suite struct FuzzRegressionTests {
    static let root = TestPaths.repositoryRoot.appendingPathComponent("Tests/HostileInputTests")
    static let regressions = root.appendingPathComponent("FuzzRegressions")
    static let corpus = root.appendingPathComponent("FuzzCorpus")
    static let targets = ["BoxReader", "ManifestReader", "FragmentRequest", "CaptionParsers", "TTMLParser"]

    /// Regression file names (`<target>-<fix>.bin`).
    static var regressionFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: regressions.path)) ?? []).filter { $0.hasSuffix(".bin") }
            .sorted()
    }

    /// Corpus files as `<target>/<name>`.
    static var corpusFiles: [String] {
        targets.flatMap { target in
            ((try? FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(target).path)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted().map { "\(target)/\($0)" }
        }
    }

    /// Runs the target's entry function; returns the invariants it reports broken.
    static func run(_ target: String, _ bytes: [UInt8]) -> [String]? {
        switch target {
        case "BoxReader":
            ISOBMFF.FuzzEntry.boxReader(bytes)
            return []
        case "ManifestReader": return SmoothManifest.FuzzEntry.manifestReader(bytes)
        case "FragmentRequest": return SmoothManifest.FuzzEntry.fragmentRequest(bytes)
        case "CaptionParsers": return Captions.FuzzEntry.captionParsers(bytes)
        case "TTMLParser": return Captions.FuzzEntry.ttmlParser(bytes)
        default: return nil
        }
    }

    @Test func everyTargetHasCorpusAndTheRegressionFolderIsNotEmpty() {
        #expect(!Self.regressionFiles.isEmpty, "no <target>-<fix>.bin in \(Self.regressions.path)")
        for target in Self.targets {
            #expect(Self.corpusFiles.contains { $0.hasPrefix(target + "/") }, "no seed corpus for \(target)")
        }
        #expect(Self.regressionFiles.contains("BoxReader-trun-huge-count.bin"), "the issue 11 trun file is missing")
    }

    @Test func namesSayTargetAndFix() {
        for name in Self.regressionFiles {
            let target = name.split(separator: "-").first.map(String.init) ?? ""
            #expect(Self.targets.contains(target) && name.count > target.count + 5,
                    "\(name): name it <target>-<fix>.bin with target \(Self.targets.joined(separator: ", "))")
        }
    }

    @Test func corpusStaysSmall() throws {
        var total = 0
        for file in Self.corpusFiles + Self.regressionFiles.map({ "../FuzzRegressions/\($0)" }) {
            let size = try Data(contentsOf: Self.corpus.appendingPathComponent(file)).count
            #expect(size <= 64 << 10, "\(file): \(size) bytes; seeds must stay small")
            total += size
        }
        #expect(total < 512 << 10, "corpus and regressions hold \(total) bytes")
    }

    /// Every corpus file (`<target>/<name>`) and regression file (`<target>-<fix>.bin`), replayed alike.
    @Test(arguments: corpusFiles.map { "FuzzCorpus/\($0)" } + regressionFiles.map { "FuzzRegressions/\($0)" })
    func replay(_ file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.root.appendingPathComponent(file)))
        let name = file.split(separator: "/").dropFirst().joined(separator: "/")
        let target = String(name.split(whereSeparator: { $0 == "/" || $0 == "-" }).first ?? "")
        let broken = try #require(Self.run(target, bytes), "\(file): unknown target")
        #expect(broken.isEmpty, "\(file): \(broken)")
    }
}
