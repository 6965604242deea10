internal import Foundation
public import Logging
public import ServiceLifecycle
internal import Platform
internal import SmoothPack
internal import SystemPackage

/// The watch-folder daemon as a `Service`: finds complete files in the inbox, queues each one once in the
/// ``JobStore``, encodes up to ``WatchConfiguration/jobs`` at a time and files the sources away.
///
/// Run it in a `ServiceGroup` with graceful shutdown signals (SIGTERM, SIGINT). On graceful shutdown it
/// stops taking jobs and gives running ones ``WatchConfiguration/grace`` seconds; then it cancels them
/// (the packager removes their work folders) and leaves them `queued` for the next start, and returns.
///
/// Exactly once: a job is claimed (`queued → running`) and completed in store transactions; the source is
/// moved only after its job is recorded `done` or `failed`. A crash between any two steps is repaired at
/// the next start: `running` jobs are requeued (re-encoding a published presentation is a quick no-op,
/// since its version is a content hash), and a source still in the inbox whose fingerprint is `done` or
/// `failed` is simply moved where it belongs.
public final class WatchFolderService: Service {
    private let configuration: WatchConfiguration
    private let store: any JobStore
    private let encoder: any SourceEncoder
    private let events: JobEventLog
    private let logger: Logger
    /// The time the rules use (settle, rescan, backoff, job times); the ticks that wake the loop are real time.
    private let clock: any WallClock

    public init(configuration: WatchConfiguration, store: any JobStore, encoder: any SourceEncoder,
                events: JobEventLog, logger: Logger, clock: any WallClock = SystemWallClock()) {
        self.clock = clock
        self.configuration = configuration
        self.store = store
        self.encoder = encoder
        self.events = events
        self.logger = logger
    }

    /// What wakes the main loop.
    enum Wake: Sendable {
        case watch(WatchSignal)
        case tick
        case finished(Int64)
        case shutdown
        case graceExpired
    }

    public func run() async throws {
        let inboxPath = Self.resolve(configuration.inbox)
        let outURL = URL(fileURLWithPath: Self.resolve(configuration.out), isDirectory: true)
        try FileSystem.makeDirectories(FilePath(outURL.path))
        let paths = Paths(inbox: inboxPath, out: outURL)

        let interrupted = try await store.requeueInterrupted(at: clock.now)
        Packager.removeStaleWorkFolders(in: outURL)
        for job in interrupted {
            logger.notice("requeued interrupted job", metadata: ["job": "\(job.id)", "source": "\(job.source)"])
            self.recordEvent(job)
            Packager.removeStaleWorkFolders(in: paths.outFolder(for: job.source))
        }

        let (wakes, mailbox) = AsyncStream<Wake>.makeStream()
        let watcher = InboxWatcher(root: inboxPath) { mailbox.yield(.watch($0)) }
        let watching = configuration.useInotify && watcher.start()
        defer { watcher.stop() }
        logger.info("watching", metadata: [
            "inbox": "\(inboxPath)", "out": "\(outURL.path)", "inotify": "\(watching)", "jobs": "\(configuration.jobs)",
        ])

        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let tickInterval = max(0.05, min(0.5, configuration.rescan, max(configuration.settle / 2, 0.05)))
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(tickInterval))
                        mailbox.yield(.tick)
                    }
                }
                var loop = LoopState(settle: configuration.settle)
                loop.nextRescan = clock.now   // look at everything once at start
                mailbox.yield(.tick)
                for await wake in wakes {
                    switch wake {
                    case .watch(.file(let relative)):
                        loop.observe(relative, root: inboxPath, at: clock.now)
                    case .watch(.folder(let relative)):
                        for found in InboxScanner.candidates(root: "\(inboxPath)/\(relative)") {
                            loop.observe("\(relative)/\(found.path)", stat: found.stat, at: clock.now)
                        }
                    case .watch(.overflow):
                        logger.warning("inotify queue overflowed; rescanning")
                        loop.nextRescan = clock.now
                    case .tick:
                        break
                    case .finished(let id):
                        loop.running.remove(id)
                    case .shutdown:
                        if !loop.shuttingDown {
                            loop.shuttingDown = true
                            watcher.stop()
                            logger.notice("shutting down", metadata: [
                                "running": "\(loop.running.count)", "grace": "\(configuration.grace)s",
                            ])
                            let grace = configuration.grace
                            group.addTask {
                                try await Task.sleep(for: .seconds(grace))
                                mailbox.yield(.graceExpired)
                            }
                        }
                    case .graceExpired:
                        logger.warning("grace period over; cancelling running jobs (they stay queued)",
                                       metadata: ["running": "\(loop.running.count)"])
                        loop.cancelled = true
                        group.cancelAll()   // the job tasks requeue their jobs as they stop
                    }
                    if loop.shuttingDown {
                        if loop.running.isEmpty { break }
                        continue
                    }
                    try await findWork(&loop, paths: paths)
                    while loop.running.count < configuration.jobs, let job = try await store.claimNext(at: clock.now) {
                        self.recordEvent(job)
                        logger.info("running", metadata: ["job": "\(job.id)", "source": "\(job.source)",
                                                           "attempt": "\(job.attempts)"])
                        loop.running.insert(job.id)
                        group.addTask {
                            await self.process(job, paths: paths)
                            mailbox.yield(.finished(job.id))
                        }
                    }
                }
                group.cancelAll()
                mailbox.finish()
            }
        } onGracefulShutdown: {
            mailbox.yield(.shutdown)
        }
        logger.notice("stopped")
    }

    // MARK: - Finding work

    /// The main loop's own state.
    struct LoopState {
        var tracker: SettleTracker
        /// Files already queued or handled, by size and mtime: not fingerprinted again while unchanged.
        var known: [String: FileStat] = [:]
        var running: Set<Int64> = []
        var nextRescan = Date.distantPast
        var shuttingDown = false
        var cancelled = false
        /// Caption sidecars as last seen: a source is taken only when its sidecars are unchanged for `settle`.
        var sidecars: [String: (stat: FileStat, since: Date)] = [:]

        init(settle: TimeInterval) { tracker = SettleTracker(settle: settle) }

        mutating func observe(_ relative: String, root: String, at now: Date) {
            guard InboxRules.isCandidate(relativePath: relative),
                  let stat = try? FileStat(path: "\(root)/\(relative)"), stat.isRegularFile else {
                tracker.forget(relative)
                return
            }
            observe(relative, stat: stat, at: now)
        }

        mutating func observe(_ relative: String, stat: FileStat, at now: Date) {
            if let known = known[relative], known.size == stat.size, known.modificationTime == stat.modificationTime {
                return
            }
            known[relative] = nil
            tracker.observe(relative, size: stat.size, modificationTime: stat.modificationTime, at: now)
        }
    }

    private func findWork(_ loop: inout LoopState, paths: Paths) async throws {
        let now = clock.now
        if now >= loop.nextRescan {
            loop.nextRescan = now.addingTimeInterval(configuration.rescan)
            // Walking the inbox blocks on the file system: a thread of its own, not one of the cooperative pool.
            let inbox = paths.inbox
            let found = try await Blocking.run("inbox-scan") { _ in InboxScanner.candidates(root: inbox) }
            let present = Set(found.map(\.path))
            loop.known = loop.known.filter { present.contains($0.key) }
            for path in loop.tracker.paths where !present.contains(path) { loop.tracker.forget(path) }
            for file in found { loop.observe(file.path, stat: file.stat, at: now) }
            try await reviveForLateCaptions(&loop, paths: paths)
        }
        for relative in loop.tracker.paths {
            let absolute = paths.source(relative).path
            guard let stat = try? FileStat(path: absolute), stat.isRegularFile else {
                loop.tracker.forget(relative)
                continue
            }
            guard loop.tracker.observe(relative, size: stat.size, modificationTime: stat.modificationTime, at: clock.now)
            else { continue }
            // The pair settles together: every sidecar beside it unchanged for the settle time too.
            let sidecars = CaptionSidecars.sidecars(of: absolute)
            var sidecarsSettled = true
            for path in sidecars {
                guard let s = try? FileStat(path: path) else { sidecarsSettled = false; continue }
                if let seen = loop.sidecars[path], seen.stat == s {
                    if clock.now.timeIntervalSince(seen.since) < configuration.settle { sidecarsSettled = false }
                } else {
                    loop.sidecars[path] = (s, clock.now)
                    if configuration.settle > 0 { sidecarsSettled = false }
                }
            }
            guard sidecarsSettled else { continue }
            // The /proc scan and the fingerprint's reads block: one dedicated thread for both.
            let checkOpenWriters = configuration.checkOpenWriters
            let probe = try await Blocking.run("inbox-probe") { _ -> SettledProbe in
                if checkOpenWriters && OpenForWriting.isOpenForWriting(absolute) { return .openForWriting }
                do {
                    return .fingerprint(try CaptionSidecars.fold(Fingerprint.compute(path: absolute), sidecars: sidecars))
                } catch { return .unreadable }
            }
            let fingerprint: Fingerprint
            switch probe {
            case .openForWriting:
                logger.debug("still open for writing", metadata: ["source": "\(relative)"])
                continue
            case .unreadable:
                loop.tracker.forget(relative)   // changed while read, or vanished: seen again if it is still there
                continue
            case .fingerprint(let f):
                fingerprint = f
            }
            loop.tracker.forget(relative)
            loop.known[relative] = stat
            try await take(relative, fingerprint: fingerprint, paths: paths)
        }
    }

    /// Writes a job's event line; a line that cannot be written is logged as an error (the job goes on, and the
    /// store keeps the truth), never dropped silently.
    private func recordEvent(_ job: Job, state: String? = nil) {
        do { try events.record(job, state: state) } catch {
            logger.error("cannot write job event", metadata: ["job": "\(job.id)", "source": "\(job.source)",
                                                             "error": "\(error)"])
        }
    }

    /// A stable file: queue it, or settle a file whose job already ended (a crash between recording and
    /// moving, a renamed copy, a source kept in place).
    private func take(_ relative: String, fingerprint: Fingerprint, paths: Paths) async throws {
        switch try await store.enqueue(source: relative, fingerprint: fingerprint, at: clock.now) {
        case .created(let job):
            logger.info("queued", metadata: ["job": "\(job.id)", "source": "\(relative)"])
            self.recordEvent(job)
        case .existing(let job):
            switch job.state {
            case .queued, .running:
                logger.debug("already queued", metadata: ["job": "\(job.id)", "source": "\(relative)"])
            case .done:
                logger.info("already done", metadata: ["job": "\(job.id)", "source": "\(relative)",
                                                        "playbackPath": "\(job.playbackPath ?? "")"])
                finishSource(relative, paths: paths)
            case .failed:
                logger.info("already failed", metadata: ["job": "\(job.id)", "source": "\(relative)"])
                moveToFailed(relative, job: job, paths: paths)
            }
        }
    }

    // MARK: - Running a job

    private func process(_ job: Job, paths: Paths) async {
        let source = paths.source(job.source)
        let stillThere = (try? FileStat(path: source.path)).map {
            $0.size == job.fingerprint.size && $0.modificationTime == job.fingerprint.modificationTime
        } ?? false
        guard stillThere else {
            logger.warning("source vanished or changed before its run; discarded",
                           metadata: ["job": "\(job.id)", "source": "\(job.source)"])
            await bookkeeping { try await self.store.discard(id: job.id) }
            self.recordEvent(job, state: "discarded")
            return
        }
        let outFolder = paths.outFolder(for: job.source)
        let relativeFolder = paths.relativeFolder(of: job.source)
        do {
            let encoded = try await encoder.encode(source: source, into: outFolder)
            let prefix = relativeFolder.isEmpty ? encoded.prefix : "\(relativeFolder)/\(encoded.prefix)"
            let playback = relativeFolder.isEmpty ? encoded.playbackPath : "\(relativeFolder)/\(encoded.playbackPath)"
            guard let done = await bookkeeping({
                try await self.store.complete(id: job.id, outputPrefix: prefix, playbackPath: playback, at: self.clock.now)
            }) else { return }
            self.recordEvent(done)
            logger.notice("done", metadata: ["job": "\(job.id)", "source": "\(job.source)", "playbackPath": "\(playback)",
                                             "created": "\(encoded.created)"])
            finishSource(job.source, paths: paths)
        } catch {
            await handleFailure(job, error: error, paths: paths)
        }
    }

    private func handleFailure(_ job: Job, error: any Error, paths: Paths) async {
        let text = String(describing: error).replacingOccurrences(of: "\n", with: " ")
        switch FailureKind.of(error) {
        case .cancelled:
            guard let queued = await bookkeeping({
                try await self.store.requeue(id: job.id, error: nil, notBefore: nil, refundAttempt: true, at: self.clock.now)
            }) else { return }
            self.recordEvent(queued)
            logger.notice("cancelled by shutdown; left queued", metadata: ["job": "\(job.id)", "source": "\(job.source)"])
        case .transient where job.attempts < configuration.maxAttempts:
            let delay = configuration.backoff(afterAttempts: job.attempts)
            let now = clock.now
            guard let queued = await bookkeeping({
                try await self.store.requeue(id: job.id, error: text, notBefore: now.addingTimeInterval(delay),
                                             refundAttempt: false, at: now)
            }) else { return }
            self.recordEvent(queued)
            logger.warning("transient failure; will retry", metadata: [
                "job": "\(job.id)", "source": "\(job.source)", "attempt": "\(job.attempts)",
                "retryIn": "\(delay)s", "error": "\(text)",
            ])
        case .transient, .permanent:
            guard let failed = await bookkeeping({ try await self.store.fail(id: job.id, error: text, at: self.clock.now) })
            else { return }
            self.recordEvent(failed)
            logger.error("failed", metadata: ["job": "\(job.id)", "source": "\(job.source)",
                                              "attempts": "\(job.attempts)", "error": "\(text)"])
            moveToFailed(job.source, job: failed, paths: paths)
        }
    }

    /// Runs a store write even when the job's task is cancelled (a cancelled run must still be requeued),
    /// in a task of its own that does not inherit the cancellation. A store error is logged; the job then
    /// stays `running` in the store and is requeued at the next start.
    private func bookkeeping<T: Sendable>(_ write: @escaping @Sendable () async throws -> T) async -> T? {
        do {
            return try await Task { try await write() }.value
        } catch {
            logger.error("job store write failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: - Filing sources

    private func finishSource(_ relative: String, paths: Paths) {
        let source = paths.source(relative)
        do {
            switch configuration.onSuccess {
            case .keep:
                break
            case .delete:
                try FileManager.default.removeItem(at: source)
            case .move:
                try Self.move(source, to: paths.filed("done", relative))
                for sidecar in CaptionSidecars.sidecars(of: source.path) {
                    let name = URL(fileURLWithPath: sidecar).lastPathComponent
                    let target = paths.filed("done", relative).deletingLastPathComponent().appendingPathComponent(name)
                    try? FileManager.default.removeItem(at: target)   // the newer copy replaces the older one
                    try FileSystem.moveFile(FilePath(sidecar), to: FilePath(target.path))
                }
            }
        } catch {
            logger.error("could not file the source", metadata: ["source": "\(relative)", "error": "\(error)"])
        }
    }

    private func moveToFailed(_ relative: String, job: Job, paths: Paths) {
        let target = paths.filed("failed", relative)
        do {
            try FileSystem.makeDirectories(FilePath(target.deletingLastPathComponent().path))
            let destination = Self.freeName(target)
            let report = """
                \(job.error ?? "failed")
                job: \(job.id)
                source: \(job.source)
                attempts: \(job.attempts)
                failed at: \(JobEventLog.format(job.finishedAt ?? Date()))
                fingerprint: \(job.fingerprint.key)

                """
            let reportURL = destination.deletingLastPathComponent()
                .appendingPathComponent(destination.lastPathComponent + ".error.txt")
            try FileSystem.atomicWrite(Array(report.utf8), to: FilePath(reportURL.path))
            try FileSystem.moveFile(FilePath(paths.source(relative).path), to: FilePath(destination.path))
        } catch {
            logger.error("could not move the source to failed/", metadata: ["source": "\(relative)", "error": "\(error)"])
        }
    }

    private static func move(_ source: URL, to target: URL) throws {
        try FileSystem.makeDirectories(FilePath(target.deletingLastPathComponent().path))
        try FileSystem.moveFile(FilePath(source.path), to: FilePath(freeName(target).path))
    }

    /// `target`, or `name-2.ext`, `name-3.ext`, … when it is taken.
    static func freeName(_ target: URL) -> URL {
        var candidate = target
        var n = 2
        let stem = target.deletingPathExtension().lastPathComponent
        let ext = target.pathExtension
        while FileManager.default.fileExists(atPath: candidate.path) {
            let name = ext.isEmpty ? "\(stem)-\(n)" : "\(stem)-\(n).\(ext)"
            candidate = target.deletingLastPathComponent().appendingPathComponent(name)
            n += 1
        }
        return candidate
    }

    /// `realpath(3)` of `url` (through the platform layer); the standardized path when it cannot be resolved.
    static func resolve(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        return (try? FileSystem.realPath(FilePath(path)).string) ?? path
    }

    /// What a settled file turned out to be, found off the cooperative pool.
    enum SettledProbe: Sendable {
        case openForWriting, unreadable, fingerprint(Fingerprint)
    }

    /// Paths derived from the inbox and the output root.
    struct Paths: Sendable {
        let inbox: String
        let out: URL

        func source(_ relative: String) -> URL { URL(fileURLWithPath: "\(inbox)/\(relative)") }

        func relativeFolder(of relative: String) -> String {
            let components = relative.split(separator: "/")
            return components.dropLast().joined(separator: "/")
        }

        /// `<out>/a/b` for `a/b/clip.mp4`.
        func outFolder(for relative: String) -> URL {
            let folder = relativeFolder(of: relative)
            return folder.isEmpty ? out : out.appendingPathComponent(folder, isDirectory: true)
        }

        /// `<inbox>/<kind>/<relative>`.
        func filed(_ kind: String, _ relative: String) -> URL {
            URL(fileURLWithPath: "\(inbox)/\(kind)/\(relative)")
        }
    }
}

extension WatchFolderService {
    /// Caption sidecars with no source beside them: one whose source is filed under `done/` brings it back (with
    /// the sidecars filed with it), so it settles again as a pair with a new fingerprint and makes a new version.
    /// With `onSuccess: keep` the source is still here: a new sidecar makes it be looked at again.
    func reviveForLateCaptions(_ loop: inout LoopState, paths: Paths) async throws {
        let inbox = paths.inbox
        let sidecars = try await Blocking.run("inbox-scan") { _ in
            InboxScanner.candidates(root: inbox) { relative in
                let name = relative.split(separator: "/").last.map(String.init) ?? ""
                return CaptionSidecars.isSidecar(name) && !InboxRules.isIgnoredFileName(name)
                    && !InboxRules.isIgnoredFolder(relative.split(separator: "/").dropLast().map(String.init))
                    && !InboxRules.reservedFolders.contains(relative.split(separator: "/").first.map(String.init) ?? "")
            }
        }
        for sidecar in sidecars {
            let name = sidecar.path.split(separator: "/").last.map(String.init) ?? ""
            // A source beside it that was already handled is looked at again (its fingerprint now differs).
            for known in loop.known.keys where paths.relativeFolder(of: known) == paths.relativeFolder(of: sidecar.path)
                && CaptionSidecars.belongs(name, to: known.split(separator: "/").last.map(String.init) ?? "") {
                if loop.sidecars[paths.source(sidecar.path).path]?.stat != sidecar.stat { loop.known[known] = nil }
            }
            guard configuration.onSuccess == .move,
                  let owner = CaptionSidecars.filedOwner(ofSidecar: sidecar.path, inbox: inbox) else { continue }
            let filed = paths.filed("done", owner)
            let back = paths.source(owner)
            guard !FileManager.default.fileExists(atPath: back.path) else { continue }
            do {
                for old in CaptionSidecars.sidecars(of: filed.path) {
                    let target = back.deletingLastPathComponent().appendingPathComponent(URL(fileURLWithPath: old).lastPathComponent)
                    if !FileManager.default.fileExists(atPath: target.path) {
                        try FileSystem.moveFile(FilePath(old), to: FilePath(target.path))
                    }
                }
                try FileSystem.moveFile(FilePath(filed.path), to: FilePath(back.path))
                logger.info("a caption arrived for a published source: made again with it",
                            metadata: ["source": "\(owner)", "caption": "\(sidecar.path)"])
            } catch {
                logger.error("could not bring the source back for its new caption",
                             metadata: ["source": "\(owner)", "error": "\(error)"])
            }
        }
    }
}
