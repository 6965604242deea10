import Foundation
import Platform
import Testing
import TestSupport
@testable import WatchFolder
#if canImport(Glibc)
import Glibc
#endif

/// The real `smoothpack watch` process on real files. Serialized: each test encodes, and the machine has
/// two cores.
@Suite(.serialized) struct DaemonTests {
    /// (a) Files arriving slowly are taken once, only when complete: one appended in chunks (closed between
    /// chunks: the settle time guards it), one written through a descriptor held open across a pause longer
    /// than the settle time (the open-for-writing check guards it), one written under a `.part` name and
    /// renamed when complete.
    @Test func slowCopiesAreTakenOnceAndOnlyWhenComplete() async throws {
        // Settle 4 s against writer pauses of 0.3 s: a loaded machine stretched 0.3 s sleeps past a 1 s settle,
        // and the daemon then rightly took a file the test had not finished writing.
        let settle = 4
        let daemon = try Daemon("slow")
        try daemon.start(settle: settle)
        let staging = daemon.root.appendingPathComponent("staging")
        let sources = ["chunked.mp4", "held-open.mp4", "renamed.mp4"]
        for (i, name) in sources.enumerated() {
            try Clips.variant("slow-\(i)", at: staging.appendingPathComponent(name), seconds: 2, size: "320x180")
        }
        var completed: [String: Date] = [:]

        // The writers run on threads of their own (not the cooperative pool, which other suites in this process
        // may hold with blocking work), so their pauses are the lengths they say.
        async let chunked: Date = Blocking.run("writer-chunked") { _ in
            let bytes = try Data(contentsOf: staging.appendingPathComponent("chunked.mp4"))
            let target = daemon.inbox.appendingPathComponent("chunked.mp4")
            let chunk = bytes.count / 12 + 1
            var offset = 0
            var lastWrite = Date()
            _ = FileManager.default.createFile(atPath: target.path, contents: nil)
            while offset < bytes.count {   // ~12 chunks, 0.3 s apart: 3.6 s in all, each gap far below settle
                if offset > 0 { Thread.sleep(forTimeInterval: 0.3) }
                let handle = try FileHandle(forWritingTo: target)
                try handle.seekToEnd()
                lastWrite = Date()   // stamped just before each write: the last one is no later than completion
                try handle.write(contentsOf: bytes[offset..<min(offset + chunk, bytes.count)])
                try handle.close()
                offset += chunk
            }
            return lastWrite
        }
        async let heldOpen: Date = Blocking.run("writer-held-open") { _ in
            let bytes = try Data(contentsOf: staging.appendingPathComponent("held-open.mp4"))
            let target = daemon.inbox.appendingPathComponent("held-open.mp4")
            _ = FileManager.default.createFile(atPath: target.path, contents: nil)
            let handle = try FileHandle(forWritingTo: target)
            try handle.write(contentsOf: bytes.prefix(bytes.count / 2))
            Thread.sleep(forTimeInterval: Double(settle + 3))   // longer than settle + rescan: only the open descriptor tells
            let done = Date()   // stamped before the last write: no later than the moment it completes
            try handle.write(contentsOf: bytes.dropFirst(bytes.count / 2))
            try handle.close()
            return done
        }
        async let partial: Date = Blocking.run("writer-part") { _ in
            let bytes = try Data(contentsOf: staging.appendingPathComponent("renamed.mp4"))
            let part = daemon.inbox.appendingPathComponent("renamed.mp4.part")
            _ = FileManager.default.createFile(atPath: part.path, contents: nil)
            let handle = try FileHandle(forWritingTo: part)
            try handle.write(contentsOf: bytes.prefix(1000))
            try handle.close()
            Thread.sleep(forTimeInterval: Double(settle + 2))   // a stale .part is never taken, however stable
            let rest = try FileHandle(forWritingTo: part)
            try rest.seekToEnd()
            try rest.write(contentsOf: bytes.dropFirst(1000))
            try rest.close()
            let renamed = Date()   // stamped before the rename, so no later than the moment the file appears
            try FileManager.default.moveItem(at: part, to: daemon.inbox.appendingPathComponent("renamed.mp4"))
            return renamed
        }
        completed["chunked.mp4"] = try await chunked
        completed["held-open.mp4"] = try await heldOpen
        completed["renamed.mp4"] = try await partial

        #expect(await waitFor(60) { daemon.count("done") == 3 }, "\(daemon.logText())")
        daemon.signal(SIGTERM)
        let exit = await daemon.waitForExit(timeout: 30)
        #expect(exit?.status == 0 && exit?.reason == .exit)

        let formatter = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let events = daemon.jobEvents()
        for name in sources {
            let queued = events.filter { $0.source == name && $0.state == "queued" }
            #expect(queued.count == 1, "\(name) queued \(queued.count) times")
            if let first = queued.first, let time = try? Date(first.time, strategy: formatter), let done = completed[name] {
                #expect(time >= done.addingTimeInterval(-0.01), "\(name) taken at \(time), complete at \(done)")
            }
        }
        #expect(!events.contains { $0.source.hasSuffix(".part") })
        let store = try SQLiteJobStore(path: daemon.state.path)
        for job in try await store.allJobs() {
            let staged = try FileStat(path: staging.appendingPathComponent(job.source).path)
            #expect(job.fingerprint.size == staged.size, "\(job.source) fingerprinted whole")
        }
        try await daemon.checkConsistency(expectedDone: 3)
    }

    /// (b) `kill -9` in the middle of jobs, several times, then a restart: every job completes exactly once.
    @Test func killNineMidJobThenRestartCompletesEveryJobOnce() async throws {
        let daemon = try Daemon("kill9")
        // One long source (several seconds to encode) first, then short ones, in the inbox and a subfolder.
        try Clips.variant("long", at: daemon.inbox.appendingPathComponent("a-long.mp4"), seconds: 40, size: "640x360")
        for i in 0..<3 {
            try Clips.variant("short-\(i)", at: daemon.inbox.appendingPathComponent("sub/dir/short-\(i).mp4"))
        }
        try Clips.variant("b-medium", at: daemon.inbox.appendingPathComponent("b-medium.mp4"), seconds: 20, size: "640x360")

        var kills = 0
        var killedWhileRunning = 0
        var interrupted: Set<String> = []
        for delay in [1.5, 0.4, 2.5] {
            // Counted before the start: a restarted daemon takes up the job the last kill cut off at once,
            // often before `start()` has returned, and that job may be the last one left.
            let runningBefore = daemon.count("running")
            try daemon.start()
            let started = await waitFor(60) { daemon.count("running") > runningBefore }
            if !started {
                // Every job finished before this round could catch one: stop this daemon before the final run.
                daemon.signal(SIGTERM)
                _ = await daemon.waitForExit(timeout: 60)
                break
            }
            try await Task.sleep(for: .seconds(delay))
            let doneBefore = daemon.count("done")
            daemon.signal(SIGKILL)
            let exit = await daemon.waitForExit(timeout: 10)
            #expect(exit?.reason == .uncaughtSignal)
            kills += 1
            let events = daemon.jobEvents()
            if events.filter({ $0.state == "running" }).count > events.filter({ $0.state == "done" }).count
                && daemon.count("done") == doneBefore {
                killedWhileRunning += 1
            }
            // The jobs the store still holds as `running` were cut off by this kill. Which job the daemon took
            // first depends on the order the scan met the files, so the test asks the store, not a file name.
            do {
                let store = try SQLiteJobStore(path: daemon.state.path)
                interrupted.formUnion(try await store.allJobs().filter { $0.state == .running }.map(\.source))
            }
        }
        // On a loaded machine the short jobs may all finish before the last round; what matters is that
        // kills landed mid-job and the restart below still completes every job exactly once.
        #expect(kills >= 2)
        #expect(killedWhileRunning >= 1, "the kills should land mid-job")

        try daemon.start()
        #expect(await waitFor(120) { daemon.count("done") == 5 }, "\(daemon.logText())")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30)?.status == 0)
        try await daemon.checkConsistency(expectedDone: 5)
        let store = try SQLiteJobStore(path: daemon.state.path)
        let jobs = try await store.allJobs()
        #expect(!interrupted.isEmpty)
        for source in interrupted {
            let job = try #require(jobs.first { $0.source == source })
            #expect(job.attempts >= 2, "\(source) was interrupted and rerun")
        }
        #expect(daemon.logText().contains("requeued interrupted job"))
        // One version folder per stem: nothing was published twice.
        for stem in ["a-long", "b-medium", "sub/dir/short-0"] {
            let versions = try FileManager.default.contentsOfDirectory(atPath: daemon.out.appendingPathComponent(stem).path)
            #expect(versions.filter { !$0.hasPrefix(".") }.count == 1, "\(stem): \(versions)")
        }
    }

    /// (c) A corrupt file fails once, lands in `failed/` with its reason, and is not retried.
    @Test func corruptFileLandsInFailedAndIsNotRetried() async throws {
        let daemon = try Daemon("corrupt")
        try daemon.start()
        let good = try Data(contentsOf: try Clips.base(seconds: 1, size: "160x90"))
        try FileManager.default.createDirectory(at: daemon.inbox.appendingPathComponent("nested"), withIntermediateDirectories: true)
        try Data(good.prefix(3000)).write(to: daemon.inbox.appendingPathComponent("nested/corrupt.mp4.tmp"))
        try FileManager.default.moveItem(at: daemon.inbox.appendingPathComponent("nested/corrupt.mp4.tmp"),
                                         to: daemon.inbox.appendingPathComponent("nested/corrupt.mp4"))
        let failedFile = daemon.inbox.appendingPathComponent("failed/nested/corrupt.mp4")
        let report = daemon.inbox.appendingPathComponent("failed/nested/corrupt.mp4.error.txt")
        #expect(await waitFor(30) { FileManager.default.fileExists(atPath: report.path) }, "\(daemon.logText())")
        try await Task.sleep(for: .seconds(3))   // three rescans
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30)?.status == 0)
        #expect(FileManager.default.fileExists(atPath: failedFile.path))
        let reason = try String(contentsOf: report, encoding: .utf8)
        #expect(reason.contains("corrupt.mp4") && reason.contains("failed"), "\(reason)")
        #expect(daemon.count("running") == 1 && daemon.count("failed") == 1)
        #expect(daemon.presentations().isEmpty && daemon.workLeftovers().isEmpty)
    }

    /// (d) 20 sources with `--jobs 2` give 20 presentations, never more than two encoding at once.
    @Test func twentyFilesWithTwoJobsGiveTwentyPresentations() async throws {
        let daemon = try Daemon("twenty")
        let staging = daemon.root.appendingPathComponent("staging")
        let names = (0..<20).map { String(format: "clip-%02d.mp4", $0) }
        for name in names { try Clips.variant(name, at: staging.appendingPathComponent(name)) }
        try daemon.start(["--jobs", "2", "--retry-delay", "0.5"])
        let start = Date()
        for (i, name) in names.enumerated() {   // moved in (atomic), half of them into a subfolder
            let target = daemon.inbox.appendingPathComponent(i % 2 == 0 ? name : "batch/\(name)")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: staging.appendingPathComponent(name), to: target)
        }
        #expect(await waitFor(180) { daemon.count("done") == 20 }, "\(daemon.logText())")
        let elapsed = Date().timeIntervalSince(start)
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 30)?.status == 0)
        try await daemon.checkConsistency(expectedDone: 20)
        #expect(daemon.presentations().count == 20)
        var running = 0
        var peak = 0
        for event in daemon.jobEvents() {
            if event.state == "running" { running += 1 } else if ["done", "failed", "queued"].contains(event.state)
                && running > 0 && event.attempt > 0 { running -= 1 }
            peak = max(peak, running)
        }
        #expect(peak <= 2 && peak >= 1)
        print("20 sources, --jobs 2: \(String(format: "%.1f", elapsed)) s from first drop to last done, peak \(peak) running")
    }

    /// (e) SIGTERM: running jobs get the grace period; past it they are cancelled, left queued, and the
    /// process still exits 0 in time. The next start finishes them.
    @Test func sigtermExitsZeroWithinTheGracePeriod() async throws {
        let daemon = try Daemon("sigterm")
        try Clips.variant("term", at: daemon.inbox.appendingPathComponent("long.mp4"), seconds: 120, size: "640x360")
        try daemon.start(["--grace", "2"])
        #expect(await waitFor(30) { daemon.count("running") == 1 })
        try await Task.sleep(for: .milliseconds(300))
        let sent = Date()
        daemon.signal(SIGTERM)
        let exit = await daemon.waitForExit(timeout: 2 + 20)
        let took = Date().timeIntervalSince(sent)
        #expect(exit?.status == 0 && exit?.reason == .exit, "\(daemon.logText())")
        // Bound for a loaded machine: far below the 120 s job it would otherwise wait for.
        #expect(took < 2 + 10, "exited \(took) s after SIGTERM with a 2 s grace")
        let store = try SQLiteJobStore(path: daemon.state.path)
        let job = try #require(try await store.allJobs().first)
        #expect(job.state == .queued && job.attempts == 0, "cancelled at the end of the grace and left queued")
        #expect(daemon.presentations().isEmpty && daemon.workLeftovers().isEmpty)
        #expect(FileManager.default.fileExists(atPath: daemon.inbox.appendingPathComponent("long.mp4").path))

        // An idle daemon exits at once, not after its grace (30 s here, so the bound holds on a loaded machine).
        try daemon.start(["--grace", "30"])
        #expect(await waitFor(120) { daemon.count("done") == 1 })
        let idle = Date()
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60)?.status == 0)
        #expect(Date().timeIntervalSince(idle) < 10)
        try await daemon.checkConsistency(expectedDone: 1)
    }

    /// (f) A filed source survives a crash at any moment: its bytes are synced before it moves, the folders it
    /// left and entered are synced after, and so is the folder holding each folder created for it (`done/`,
    /// `done/nested/`): a move made durable inside a folder whose own name never reached the disk is lost with
    /// it, and the inbox no longer has the file either. Seen from outside, by `strace`, on the real daemon.
    @Test func aFiledSourceIsOnTheDiskWhereverACrashStopsTheMove() async throws {
        let daemon = try Daemon("durable-filing")
        let trace = daemon.root.appendingPathComponent("strace.log")
        let staging = daemon.root.appendingPathComponent("staging")
        try Clips.variant("durable", at: staging.appendingPathComponent("clip.mp4"))
        try daemon.start(tracingTo: trace)
        let nested = daemon.inbox.appendingPathComponent("nested")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: staging.appendingPathComponent("clip.mp4"), to: nested.appendingPathComponent("clip.mp4"))
        let done = daemon.inbox.appendingPathComponent("done")
        let filed = done.appendingPathComponent("nested/clip.mp4")
        #expect(await waitFor(180) { FileManager.default.fileExists(atPath: filed.path) }, "\(daemon.logText())")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 60)?.status == 0, "\(daemon.logText())")

        // Lines such as `123 fsync(7</path>) = 0` and `123 rename("/a", "/b") = 0`, in the order they returned.
        let calls = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { $0.hasSuffix("= 0") }
        func syncedPath(_ line: String) -> String? {
            guard line.contains("fsync("), let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">"),
                  open < close else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        let source = nested.appendingPathComponent("clip.mp4").path
        let move = try #require(calls.firstIndex { $0.contains("rename") && $0.contains("\"\(source)\", \"\(filed.path)\"") },
                                "no rename of the source into done/: \(calls.suffix(8))")
        let before = Set(calls[..<move].compactMap(syncedPath)), after = Set(calls[move...].compactMap(syncedPath))
        #expect(before.contains(source), "the source's bytes were not synced before it moved")
        for folder in [filed.deletingLastPathComponent().path, nested.path] {
            #expect(after.contains(folder), "\(folder) not synced after the move")
        }
        // done/ and done/nested/ were created for the move: their holders, the inbox and done/, are synced.
        for holder in [daemon.inbox.path, done.path] {
            #expect(before.union(after).contains(holder), "\(holder) not synced after a folder was created in it")
        }
        try await daemon.checkConsistency(expectedDone: 1)
    }
}
