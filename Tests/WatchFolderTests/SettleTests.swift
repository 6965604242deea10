import Foundation
import Testing
import TestSupport
@testable import WatchFolder

@Suite struct SettleTests {
    @Test func fileIsTakenOnlyAfterStayingUnchangedForTheSettleTime() {
        var tracker = SettleTracker(settle: 2)
        let t0 = Date(timeIntervalSince1970: 0)
        let r1 = tracker.observe("a.mp4", size: 100, modificationTime: 1, at: t0)
        #expect(!r1)
        let r2 = tracker.observe("a.mp4", size: 100, modificationTime: 1, at: t0.addingTimeInterval(1.9))
        #expect(!r2)
        // It grew: the clock starts again.
        let r3 = tracker.observe("a.mp4", size: 200, modificationTime: 2, at: t0.addingTimeInterval(2.5))
        #expect(!r3)
        let r4 = tracker.observe("a.mp4", size: 200, modificationTime: 2, at: t0.addingTimeInterval(4))
        #expect(!r4)
        #expect(tracker.nextDeadline == t0.addingTimeInterval(4.5))
        let r5 = tracker.observe("a.mp4", size: 200, modificationTime: 2, at: t0.addingTimeInterval(4.5))
        #expect(r5)
        // Touched without growing (mtime only) also restarts it.
        let r6 = tracker.observe("a.mp4", size: 200, modificationTime: 3, at: t0.addingTimeInterval(5))
        #expect(!r6)
        tracker.forget("a.mp4")
        #expect(tracker.paths.isEmpty && tracker.nextDeadline == nil)
    }

    @Test func zeroSettleTakesAtOnce() {
        var tracker = SettleTracker(settle: 0)
        let r7 = tracker.observe("a.mp4", size: 1, modificationTime: 1, at: Date())
        #expect(r7)
    }

    @Test(arguments: [
        ("clip.mp4", true), ("a/b/clip.mov", true), ("clip.mp4.part", false), ("clip.tmp", false),
        ("movie.crdownload", false), ("x.partial", false), ("clip.mp4~", false), (".hidden.mp4", false),
        ("done/clip.mp4", false), ("failed/clip.mp4", false), ("failed/a/clip.mp4.error.txt", false),
        ("a/done/clip.mp4", true), (".smoothpack/state.sqlite", false), ("a/.cache/clip.mp4", false),
        ("clip.mp4.error.txt", false), ("UPPER.PART", false),
    ])
    func candidateNames(path: String, taken: Bool) {
        #expect(InboxRules.isCandidate(relativePath: path) == taken)
    }

    @Test func scannerSkipsReservedAndHiddenFolders() throws {
        let inbox = try TestPaths.temporaryDirectory("scan")
        for path in ["a.mp4", "sub/deeper/b.mp4", "done/c.mp4", "failed/d.mp4", ".smoothpack/state.sqlite",
                     "sub/e.mp4.part", "sub/done/f.mp4"] {
            let url = inbox.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data([1]).write(to: url)
        }
        let found = InboxScanner.candidates(root: inbox.path).map(\.path)
        #expect(found == ["a.mp4", "sub/deeper/b.mp4", "sub/done/f.mp4"])
    }

    @Test func openForWritingSeesThisProcessesWriter() throws {
        let dir = try TestPaths.temporaryDirectory("openwrite")
        let resolved = WatchFolderService.resolve(dir)
        let file = "\(resolved)/growing.mp4"
        _ = FileManager.default.createFile(atPath: file, contents: Data([0]))
        #expect(!OpenForWriting.isOpenForWriting(file))

        let reader = try #require(FileHandle(forReadingAtPath: file))
        #expect(!OpenForWriting.isOpenForWriting(file), "a reader is not a writer")
        let writer = try #require(FileHandle(forWritingAtPath: file))
        #expect(OpenForWriting.isOpenForWriting(file))
        try writer.close()
        try reader.close()
        #expect(!OpenForWriting.isOpenForWriting(file))

        let updater = try #require(FileHandle(forUpdatingAtPath: file))   // O_RDWR
        #expect(OpenForWriting.isOpenForWriting(file))
        try updater.close()
    }

    @Test func backoffDoublesUpToTheCap() {
        let configuration = WatchConfiguration(inbox: URL(fileURLWithPath: "/in"), out: URL(fileURLWithPath: "/out"),
                                               retryDelay: 2, maxRetryDelay: 10)
        #expect((1...5).map { configuration.backoff(afterAttempts: $0) } == [2, 4, 8, 10, 10])
    }
}
