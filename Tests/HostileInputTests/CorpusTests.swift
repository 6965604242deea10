import Foundation
import Testing
import TestSupport

/// Every row of the table in `docs/hostile-inputs.md`, run through the real `smoothpack encode`.
@Suite struct CorpusTests {
    @Test func tableParsesAndCoversTheCorpus() throws {
        let rows = try CorpusTable.parsed.get()
        #expect(rows.count >= 40, "the corpus table has only \(rows.count) rows")
        let corpus = try Corpus.directory.get()
        let made = Set(Encode.entries(corpus).filter { $0 != "UNAVAILABLE" })
        let listed = Set(rows.map(\.file))
        #expect(made.subtracting(listed).isEmpty, "corpus files without a row: \(made.subtracting(listed).sorted())")
        let missing = listed.subtracting(made).subtracting(Corpus.unavailable)
        #expect(missing.isEmpty, "rows whose file scripts/make-corpus did not make: \(missing.sorted())")
        if !Corpus.unavailable.isEmpty { print("hostile corpus: not made here: \(Corpus.unavailable.sorted())") }
    }

    @Test(arguments: CorpusTable.rows)
    func outcome(_ row: CorpusCase) throws {
        let corpus = try Corpus.directory.get()
        if Corpus.unavailable.contains(row.file) {
            print("hostile corpus: \(row.file) not made by this ffmpeg; not run")
            return
        }
        let work = try TestPaths.temporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out")
        let source: String, input: String
        switch row.input {
        case .file:
            source = corpus.appendingPathComponent(row.file).path
            input = source
        case .folder:
            let folder = work.appendingPathComponent("inbox")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: corpus.appendingPathComponent(row.file),
                                             to: folder.appendingPathComponent(row.file))
            source = folder.appendingPathComponent(row.file).path
            input = folder.path
        }
        let result = try Encode.run([input], out: out)
        let label = row.description
        Encode.expectSane(result, out: out, label)

        let assertOutcome = {
            switch row.expected {
            case .presentation(let video, let audio):
                #expect(result.status == 0, "\(label): expected a presentation\n\(result.summary)")
                #expect(result.stdout.contains("created \(row.file) → "), "\(label): no created line\n\(result.summary)")
                if result.status == 0 {
                    try Encode.expectPresentation(out: out, stem: Encode.stem(row.file), video: video, audio: audio,
                                                  sourceDuration: try Encode.mediaDuration(source), label: label)
                }
            case .refused:
                Encode.expectRefused(result, source: source, fragments: row.errorFragments, out: out, label: label)
                #expect(result.stdout.hasSuffix("0 created, 0 up to date, 1 failed, 0 skipped\n"),
                        "\(label): summary line\n\(result.summary)")
            case .skipped:
                #expect(result.status == 0, "\(label): expected exit 0 for a skip\n\(result.summary)")
                let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("skipped \(source): ") }
                #expect(line != nil, "\(label): no skipped line\n\(result.summary)")
                for f in row.errorFragments {
                    #expect(line?.contains(f) == true, "\(label): \"\(f)\" missing from the skip line\n\(result.summary)")
                }
                #expect(result.stdout.hasSuffix("0 created, 0 up to date, 0 failed, 1 skipped\n"),
                        "\(label): summary line\n\(result.summary)")
                #expect(!Encode.hasStemFolder(out, stem: Encode.stem(row.file)), "\(label): output made for a skipped file")
            }
        }
        if let bug = row.bug {
            withKnownIssue("\(bug) (docs/hostile-inputs.md)") { try assertOutcome() }
        } else {
            try assertOutcome()
        }
    }
}
