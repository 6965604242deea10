import Foundation
import Testing
import TestSupport

/// Sources that change while `smoothpack encode` runs: a file still being written, a file that grows, a file
/// that disappears. Rows "Cases made inside the test" in docs/hostile-inputs.md.
@Suite struct LiveSourceTests {
    /// Appends `rest` to `path` in `chunks` pieces, `interval` apart.
    static func append(_ rest: Data, to path: String, chunks: Int, interval: TimeInterval) {
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        let size = (rest.count + chunks - 1) / chunks
        var at = 0
        while at < rest.count {
            Thread.sleep(forTimeInterval: interval)
            handle.seekToEndOfFile()
            handle.write(rest.subdata(in: at..<min(rest.count, at + size)))
            at += size
        }
    }

    /// Calls `body` once a `.tmp-*` work folder appears in `out` (or after `limit` seconds).
    static func whenWorkStarts(in out: URL, limit: TimeInterval = 30, _ body: () -> Void) {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline && !Encode.entries(out).contains(where: { $0.hasPrefix(".tmp-") }) {
            Thread.sleep(forTimeInterval: 0.005)
        }
        body()
    }

    @Test func fileStillBeingRecordedIsRefusedThenEncodedOnceComplete() throws {
        let corpus = try Corpus.directory.get()
        let work = try TestPaths.temporaryDirectory("growing")
        defer { try? FileManager.default.removeItem(at: work) }
        let full = try Data(contentsOf: corpus.appendingPathComponent("control-moov-last.mp4"))
        let path = work.appendingPathComponent("recording.mp4").path
        let cut = full.count * 6 / 10
        try full.prefix(cut).write(to: URL(fileURLWithPath: path))
        let out = work.appendingPathComponent("out")
        let rest = full.subdata(in: cut..<full.count)
        let r = try Encode.run([path], out: out) { Self.append(rest, to: path, chunks: 16, interval: 0.25) }
        Encode.expectSane(r, out: out, "recording.mp4 while written")
        Encode.expectRefused(r, source: path, fragments: ["Invalid data found"], out: out, label: "recording.mp4 while written")

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == full)
        let again = try Encode.run([path], out: out)
        Encode.expectSane(again, out: out, "recording.mp4 complete")
        #expect(again.status == 0, "complete recording: \(again.summary)")
        try Encode.expectPresentation(out: out, stem: "recording", video: true, audio: true, sourceDuration: 2,
                                      label: "recording.mp4 complete")
    }

    @Test func growingTransportStreamGivesAPresentationOrOneLine() throws {
        let corpus = try Corpus.directory.get()
        let work = try TestPaths.temporaryDirectory("growing-ts")
        defer { try? FileManager.default.removeItem(at: work) }
        let full = try Data(contentsOf: corpus.appendingPathComponent("mpeg2-mp2.ts"))
        let path = work.appendingPathComponent("live.ts").path
        let cut = (full.count / 4) / 188 * 188
        try full.prefix(cut).write(to: URL(fileURLWithPath: path))
        let out = work.appendingPathComponent("out")
        let rest = full.subdata(in: cut..<full.count)
        let r = try Encode.run([path], out: out) { Self.append(rest, to: path, chunks: 8, interval: 0.25) }
        Encode.expectSane(r, out: out, "live.ts")
        if r.status == 0 {
            // The encode read whatever prefix was there: a TS interleaves audio PES packets (here about 0.17 s
            // each) behind the video, so the prefix's own tracks end apart by up to `skew` (0.16 s here).
            let skew = try Encode.interleaveSkew(path)
            try Encode.expectPresentation(out: out, stem: "live", video: true, audio: true, sourceDuration: nil,
                                          cutSkew: skew, label: "live.ts")
        } else {
            Encode.expectRefused(r, source: path, fragments: [], out: out, label: "live.ts")
        }
        print("growing TS: status \(r.status); \(r.errorLines.first ?? "presentation made")")
    }

    @Test func sourceDeletedBeforeItsTurnIsRefusedAndTheOtherCompletes() throws {
        let corpus = try Corpus.directory.get()
        let work = try TestPaths.temporaryDirectory("vanish")
        defer { try? FileManager.default.removeItem(at: work) }
        // The first source takes a few seconds (6 s of 640x360), so the deletion lands before the second starts.
        let first = work.appendingPathComponent("first.mp4"), second = work.appendingPathComponent("second.mp4")
        try FileManager.default.copyItem(atPath: TestPaths.testMedia("bars-25fps-stereo.mp4"), toPath: first.path)
        try FileManager.default.copyItem(at: corpus.appendingPathComponent("hevc.mp4"), to: second)
        let out = work.appendingPathComponent("out")
        let r = try Encode.run([first.path, second.path], out: out) {
            Self.whenWorkStarts(in: out) { try? FileManager.default.removeItem(at: second) }
        }
        Encode.expectSane(r, out: out, "second.mp4 deleted")
        Encode.expectRefused(r, source: second.path, fragments: [], out: out, label: "second.mp4 deleted")
        let line = r.errorLines.first?.lowercased() ?? ""
        #expect(line.contains("no such file") || line.contains("doesn’t exist") || line.contains("does not exist"),
                "the reason should say the file is gone: \(line)")
        try Encode.expectPresentation(out: out, stem: "first", video: true, audio: true, sourceDuration: 6, label: "first.mp4")
    }

    @Test func sourceDeletedWhileReadGivesAPresentationOrOneLine() throws {
        let work = try TestPaths.temporaryDirectory("vanish-read")
        defer { try? FileManager.default.removeItem(at: work) }
        let source = work.appendingPathComponent("going.mp4")
        try FileManager.default.copyItem(atPath: TestPaths.testMedia("bars-25fps-stereo.mp4"), toPath: source.path)
        let out = work.appendingPathComponent("out")
        let r = try Encode.run([source.path], out: out) {
            Self.whenWorkStarts(in: out) { try? FileManager.default.removeItem(at: source) }
        }
        Encode.expectSane(r, out: out, "going.mp4")
        if r.status == 0 {
            try Encode.expectPresentation(out: out, stem: "going", video: true, audio: true, sourceDuration: 6, label: "going.mp4")
        } else {
            Encode.expectRefused(r, source: source.path, fragments: [], out: out, label: "going.mp4")
        }
        print("deleted while read: status \(r.status); \(r.errorLines.first ?? "presentation made")")
    }
}
