import Foundation
import Testing

/// Compares `text` with `Golden/<name>.txt` beside this test target. `RECORD_GOLDEN=1` re-records;
/// a missing golden is recorded and the test fails so that the new file gets reviewed.
func assertGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden")
    let url = dir.appendingPathComponent("\(name).txt")
    let record = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
    guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        if !record {
            Issue.record(
                "golden \(name).txt was missing and has been recorded; review it and re-run",
                sourceLocation: sourceLocation)
        }
        return
    }
    if expected != text {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = Array(zip(e, a)).firstIndex { $0 != $1 } ?? min(e.count, a.count)
        Issue.record(
            """
            golden \(name).txt differs at line \(line + 1):
              expected: \(line < e.count ? String(e[line]) : "<end>")
              actual:   \(line < a.count ? String(a[line]) : "<end>")
            (RECORD_GOLDEN=1 re-records)
            """, sourceLocation: sourceLocation)
    }
}
