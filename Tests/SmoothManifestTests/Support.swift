import Foundation
import MediaCore
import SmoothManifest
import Testing

/// Golden files live in `Golden/` beside this file.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Compares `actual` with `Golden/<name>`. `RECORD_GOLDEN=1 swift test` re-records; a missing
    /// golden is recorded and the test fails, so new goldens get reviewed before they are committed.
    static func assertEqual(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
        guard !record, FileManager.default.fileExists(atPath: url.path) else {
            try Data(actual.utf8).write(to: url)
            Issue.record("recorded golden \(name); review and commit it", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == (try text(name)), "differs from Golden/\(name)", sourceLocation: sourceLocation)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// The repository root (for `docs/`).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

