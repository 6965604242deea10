import ArgumentParser
import Foundation
import Publish
import Logging
import ServiceLifecycle
import SmoothPack
import UnixSignals
import WatchFolder
import Workers

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch a folder and encode every complete file dropped into it, exactly once.",
        discussion: """
            Files in <inbox> and its subfolders are found through inotify plus a periodic rescan (which also catches \
            files that arrived while the daemon was down). A file is taken once its size and mtime have been stable \
            for --settle seconds, unless its name is temporary (.part, .tmp, .crdownload, .partial, trailing ~, \
            hidden) or a local process still has it open for writing. <inbox>/a/b/clip.mp4 is published as \
            <out>/a/b/clip/<version>/.

            Jobs live in an SQLite database (--state), keyed by a fingerprint of the file (size, mtime, SHA-256 of its \
            first and last 64 KiB): a file is processed once across renames and restarts; a changed file (or a fresh \
            copy: new mtime) dropped again is a new job. After a crash, jobs that were running are requeued at the \
            next start.

            On success the source moves to <inbox>/done/<path> (--on-success). Transient errors (I/O, full disk) are \
            retried with exponential backoff; bad media fails at once and moves to <inbox>/failed/<path> beside \
            <name>.error.txt. Touching a failed file (new mtime) queues it again.

            SIGTERM or SIGINT: no new jobs; running ones get --grace seconds, then are cancelled (nothing partial is \
            left) and stay queued for the next start; exit status 0.

            Logs go to standard error; --events writes one JSON line per job state change \
            ({"attempt","error","job","playbackPath","source","state","time"}).

            Example:
              smoothpack watch /srv/inbox --out /srv/www --profile default --jobs 2 \\
                --events /var/log/smoothpack/events.jsonl
            """)

    @Argument(help: "The folder to watch.")
    var inbox: String

    @Option(name: .shortAndLong, help: "Output folder (the root of the distribution). Not used with --queue.")
    var out: String?

    @OptionGroup var profileOptions: ProfileOptions

    @Option(help: "Sources encoded at the same time.")
    var jobs = 1

    @Option(help: "Job database (SQLite). Default: <inbox>/.smoothpack/state.sqlite.")
    var state: String?

    @Option(help: "Seconds a file's size and mtime must stay unchanged before it is taken.")
    var settle: Double = 5

    @Option(help: "Seconds between full rescans of the inbox.")
    var rescan: Double = 30

    @Option(name: .customLong("on-success"), help: ArgumentHelp("What to do with a source once published: move (to <inbox>/done/), keep, or delete. "
                               + "Default move; keep with --queue (workers read the file in place).",
                               valueName: "move|keep|delete"))
    var onSuccessOption: String?

    @Option(name: .customLong("queue"), help: ArgumentHelp(
        "Queue settled files on this PostgreSQL job queue (postgres://…) for `smoothpack worker`s instead of encoding "
        + "here; needs --to. The inbox must be on storage every worker mounts at the same path.", valueName: "url"))
    var queueURL: String?

    @Option(help: "With --queue: the jobs' priority (higher runs first).")
    var priority = 0

    var onSuccess: String { onSuccessOption ?? (queueURL == nil ? "move" : "keep") }

    @Option(help: "Where to write one JSON line per job state change: a file (appended) or - for standard output.")
    var events: String?

    @Option(help: "Seconds running jobs get to finish after SIGTERM/SIGINT before they are cancelled and requeued.")
    var grace: Double = 30

    @Option(help: "Runs allowed for a job that keeps failing with transient errors.")
    var attempts = 5

    @Option(help: "Seconds before the first retry of a transient failure (doubles each time, up to 10 minutes).")
    var retryDelay: Double = 10

    @Option(help: ArgumentHelp("Log level for standard error.",
                               valueName: "trace|debug|info|notice|warning|error|critical"))
    var logLevel = "info"

    @OptionGroup(title: "Publishing") var publishTarget: PublishTargetOptions

    @OptionGroup(title: "Protection") var protection: ProtectionOptions

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if SuccessAction(rawValue: onSuccess) == nil { throw ValidationError("--on-success is move, keep or delete") }
        if let queueURL {
            do { _ = try QueueURL(parsing: queueURL) } catch { throw ValidationError(error.message) }
            if publishTarget.to == nil { throw ValidationError("--queue needs --to s3://BUCKET[/PREFIX] (where workers publish)") }
            if onSuccess != "keep" { throw ValidationError("--queue needs --on-success keep: workers read the file where it is") }
        } else if out == nil {
            throw ValidationError("--out is required (unless --queue)")
        }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level \(logLevel)") }
        if attempts < 1 { throw ValidationError("--attempts must be at least 1") }
        if settle < 0 || rescan <= 0 || grace < 0 || retryDelay < 0 {
            throw ValidationError("--settle, --grace and --retry-delay must be >= 0 and --rescan > 0")
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: inbox, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw ValidationError("inbox \(inbox) is not a folder")
        }
    }

    func run() async throws {
        var logger = Logger(label: "smoothpack.watch") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        let out = self.out ?? URL(fileURLWithPath: inbox).appendingPathComponent(".smoothpack/queued").path
        var options = PackagerOptions(profilesDirectory: profileOptions.profilesDir,
                                      distributionRoot: URL(fileURLWithPath: out, isDirectory: true))
        do {
            // One key set for the daemon's lifetime (SPEKE: --speke-content-id, else the inbox folder's name).
            options.protection = try await protection.settings(name: URL(fileURLWithPath: inbox).lastPathComponent)
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        let packager: Packager
        do {
            packager = try Packager(profile: profileOptions.selection, options: options)
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        let statePath = state ?? URL(fileURLWithPath: inbox).appendingPathComponent(".smoothpack/state.sqlite").path
        let store: SQLiteJobStore
        let eventLog: JobEventLog
        do {
            store = try SQLiteJobStore(path: statePath, exclusive: true)
            eventLog = try JobEventLog(events.map { $0 == "-" ? .standardOutput : .file($0) } ?? .none)
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(1)
        }
        let configuration = WatchConfiguration(
            inbox: URL(fileURLWithPath: inbox, isDirectory: true), out: URL(fileURLWithPath: out, isDirectory: true),
            jobs: jobs, settle: settle, rescan: rescan, onSuccess: SuccessAction(rawValue: onSuccess) ?? .move, grace: grace, maxAttempts: attempts,
            retryDelay: retryDelay)
        var publisher: Publisher?
        var jobQueue: JobQueue?
        let encoder: any SourceEncoder
        if let queueURL, let to = publishTarget.to {
            let queue = JobQueue(url: try QueueURL(parsing: queueURL))
            jobQueue = queue
            // PostgresNIO traps on a connection released unclosed: close it on every way out.
            do { try await queue.checkSchema() } catch {
                await queue.close()
                throw queueFailure(error)
            }
            encoder = QueueingEncoder(queue: queue, profile: profileOptions.profile,
                                      destination: try S3Location(parsing: to).description, priority: priority, attempts: attempts)
        } else {
            do { publisher = try await publishTarget.makePublisher(dryRun: false) } catch {
                Console.error("smoothpack: \(error)")
                throw ExitCode(1)
            }
            encoder = publisher.map { PublishingEncoder(packager: packager, publisher: $0) } ?? packager
        }
        let service = WatchFolderService(configuration: configuration, store: store, encoder: encoder, events: eventLog,
                                         logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A backstop only: the service cancels its own jobs when --grace runs out.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(grace + 15)
        // The S3 client's connection pool must be shut down before it is released (AsyncHTTPClient traps
        // otherwise), whether the group ends normally or with an error.
        let outcome: Result<Void, any Error>
        do { try await ServiceGroup(configuration: groupConfiguration).run(); outcome = .success(()) } catch {
            outcome = .failure(error)
        }
        await publisher?.client.shutdown()
        await jobQueue?.close()
        try outcome.get()
    }
}
