import Foundation
import Testing
import TestSupport
@testable import WatchFolder

@Suite struct JobEventLogTests {
    static func job(_ id: Int64) -> Job {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        return Job(id: id, source: "in/clip.mp4", fingerprint: Fingerprint(size: 1, modificationTime: 2, edgeHash: "ab"),
                   state: .queued, createdAt: now, updatedAt: now)
    }

    @Test func appendsOneLinePerEventAcrossReopens() throws {
        let dir = try TestPaths.temporaryDirectory("eventlog")
        let path = dir.appendingPathComponent("events.jsonl").path
        try JobEventLog(.file(path)).record(Self.job(1))
        let log = try JobEventLog(.file(path))
        try log.record(Self.job(2), state: "discarded")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let events = try lines.map { try JSONDecoder().decode(JobEvent.self, from: Data($0.utf8)) }
        #expect(events.map(\.job) == [1, 2])
        #expect(events.map(\.state) == ["queued", "discarded"])
    }

    /// A write that fails (here: `/dev/full`, always ENOSPC) is an error for the caller, never dropped.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)"))
    func failedWriteThrows() throws {
        let log = try JobEventLog(.file("/dev/full"))
        let error = #expect(throws: (any Error).self) { try log.record(Self.job(1)) }
        #expect(error.map { "\($0)" } == "write(/dev/full) failed: No space left on device")
    }
}
