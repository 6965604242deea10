import Foundation
import Testing
import TestSupport

/// One row of the corpus table in `docs/hostile-inputs.md` — the single list of cases and outcomes.
struct CorpusCase: Sendable, CustomTestStringConvertible, CustomStringConvertible {
    enum Input: String, Sendable { case file, folder }
    enum Expected: Sendable, Equatable {
        case presentation(video: Bool, audio: Bool)
        case refused
        case skipped
    }

    var file: String
    var input: Input
    var expected: Expected
    /// Fragments that must all appear in the error (or skip) line; empty = only the line's shape is checked.
    var errorFragments: [String]
    /// A bug this row is known to hit (`B1`…), or nil.
    var bug: String?

    var description: String { "\(file) (\(input.rawValue))" }
    var testDescription: String { description }
}

enum CorpusTable {
    static let documentPath = TestPaths.repositoryRoot.appendingPathComponent("docs/hostile-inputs.md").path

    /// The rows, parsed once; a malformed table gives no rows and ``parseError`` says why.
    static let parsed: Result<[CorpusCase], ExternalToolError> = {
        do { return .success(try parse(String(contentsOfFile: documentPath, encoding: .utf8))) } catch let e as ExternalToolError {
            return .failure(e)
        } catch {
            return .failure(ExternalToolError(message: "cannot read \(documentPath): \(error)"))
        }
    }()

    static var rows: [CorpusCase] { (try? parsed.get()) ?? [] }

    static func parse(_ text: String) throws -> [CorpusCase] {
        guard let begin = text.range(of: "<!-- corpus-table:begin -->"),
              let end = text.range(of: "<!-- corpus-table:end -->", range: begin.upperBound..<text.endIndex) else {
            throw ExternalToolError(message: "corpus-table markers not found in \(documentPath)")
        }
        var rows: [CorpusCase] = []
        for line in text[begin.upperBound..<end.lowerBound].split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 6, cells[0].hasPrefix("`") else { continue }   // header and rule lines
            let file = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            guard let input = CorpusCase.Input(rawValue: cells[1]) else {
                throw ExternalToolError(message: "\(file): input is file or folder, not \(cells[1])")
            }
            let expected: CorpusCase.Expected
            switch cells[3] {
            case "presentation (video+audio)": expected = .presentation(video: true, audio: true)
            case "presentation (video)": expected = .presentation(video: true, audio: false)
            case "presentation (audio)": expected = .presentation(video: false, audio: true)
            case "refused": expected = .refused
            case "skipped": expected = .skipped
            default: throw ExternalToolError(message: "\(file): unknown expected outcome \(cells[3])")
            }
            let fragments = cells[4] == "—" ? [] : cells[4].components(separatedBy: "…")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            rows.append(CorpusCase(file: file, input: input, expected: expected, errorFragments: fragments,
                                   bug: cells[5] == "—" ? nil : cells[5]))
        }
        return rows
    }
}
