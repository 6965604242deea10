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

    /// After a power cut the log may end inside a line; the next daemon ends that line before its own, so only
    /// the torn line is lost.
    @Test func aTornLastLineIsEndedBeforeTheNextOne() throws {
        let dir = try TestPaths.temporaryDirectory("eventlog-torn")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        try JobEventLog(.file(path)).record(Self.job(1))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"job\":2,\"sta".utf8))
        try handle.close()
        try JobEventLog(.file(path)).record(Self.job(3))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let readable = lines.compactMap { try? JSONDecoder().decode(JobEvent.self, from: Data($0.utf8)) }
        #expect(readable.map(\.job) == [1, 3])
    }

    /// A write that fails (here: `/dev/full`, always ENOSPC) is an error for the caller, never dropped.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)"))
    func failedWriteThrows() throws {
        let log = try JobEventLog(.file("/dev/full"))
        let error = #expect(throws: (any Error).self) { try log.record(Self.job(1)) }
        #expect(error.map { "\($0)" } == "write(/dev/full) failed: No space left on device")
    }
}
