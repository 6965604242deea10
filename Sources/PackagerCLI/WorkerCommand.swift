import ArgumentParser
import Foundation
import Logging
import Protection
import Publish
import ServiceLifecycle
import SmoothPack
import UnixSignals
import Workers

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Take jobs from the queue, encode them and publish them to S3, until SIGTERM.",
        discussion: """
            Run one worker per machine (or several with --jobs). Each claimed job is held by a lease renewed \
            every --heartbeat seconds; a worker that stops renewing (crash, kill -9, pause, lost network) loses \
            the job after --lease seconds and another worker takes it. Publishing checks the lease before it \
            starts and before each manifest is written, so a worker that lost its job publishes nothing more. \
            S3 sources are downloaded to --scratch (ranged GETs, checked against their ETag or SHA-256); the \
            job's scratch folder is removed when it ends. Idle workers are woken by LISTEN/NOTIFY and also look \
            every --poll seconds. The database may restart: the worker reconnects with backoff.

            SIGTERM/SIGINT: no new claims; running jobs get --grace seconds, then are stopped and handed back \
            (their attempt not counted); exit status 0. Logs: one JSON line per event on standard error \
            ({"event","job","token","worker","time",…}); no credentials are ever logged.

            --encrypt encrypts every job this worker runs with one key set (--key, --key-file, \
            --playready-test-key, or --speke-url with --speke-content-id), resolved once at start; give every \
            worker of a queue the same protection options, so a job retried on another host makes the same \
            version. Keys are never stored in the queue or logged.

            Example:
              smoothpack worker --queue postgres://smoothpack@db.internal/smoothpack --jobs 1 \\
                --scratch /var/cache/smoothpack --endpoint-url https://s3.eu-west-1.amazonaws.com
            """)

    @OptionGroup var queueOptions: QueueOptions

    @Option(help: "Jobs at once (one per 2-4 cores is a good start: each encode uses several threads).")
    var jobs = 1

    @Option(help: "Folder for downloaded sources and encoder output.")
    var scratch = FileManager.default.temporaryDirectory.appendingPathComponent("smoothpack-worker").path

    @Option(help: "Bytes all running jobs may use in --scratch together (a job reserves 3x its source + 64 MiB; only jobs that fit are claimed); suffix K, M, G.")
    var scratchLimit = "50G"

    @Option(help: "Seconds a claim or heartbeat holds a job.")
    var lease: Double = 30

    @Option(help: "Seconds between lease renewals (default: a third of --lease).")
    var heartbeat: Double?

    @Option(help: "Seconds between looks for work when no notification arrives.")
    var poll: Double = 5

    @Option(help: "Seconds between returns of expired leases to the queue.")
    var reapInterval: Double = 10

    @Option(help: "Seconds running jobs get after SIGTERM before they are handed back.")
    var grace: Double = 60

    @Option(help: "Seconds before a failed job's first retry (doubles per attempt, at most an hour).")
    var retryDelay: Double = 30

    @Option(help: "Name in `queue status` and the logs (default HOST:PID).")
    var name: String?

    @Option(help: "Directory of profile files (default: the repository's or installed profiles/).")
    var profilesDir: String?

    @OptionGroup(title: "S3 access") var s3: S3AccessOptions

    @OptionGroup(title: "Protection") var protection: ProtectionOptions

    func validate() throws {
        _ = try queueOptions.url()
        if protection.spekeURL != nil && protection.spekeContentID == nil {
            // Every worker must ask for the same keys, or a job retried on another host gets another version.
            throw ValidationError("worker --speke-url needs --speke-content-id (the same on every worker of the queue)")
        }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard lease >= 1, poll > 0, reapInterval > 0, grace >= 0, retryDelay >= 0 else {
            throw ValidationError("--lease must be at least 1 s; --poll and --reap-interval positive; --grace, --retry-delay >= 0")
        }
        if let heartbeat, heartbeat <= 0 || heartbeat > lease / 2 {
            throw ValidationError("--heartbeat must be positive and at most half of --lease")
        }
        guard Self.bytes(scratchLimit) != nil else { throw ValidationError("--scratch-limit is a byte count like 20G") }
    }

    static func bytes(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = text.uppercased()
        var factor: Int64 = 1
        if let last = digits.last, let f = units[last] { factor = f; digits.removeLast() }
        guard let n = Int64(digits), n > 0, !n.multipliedReportingOverflow(by: factor).overflow else { return nil }
        return n * factor
    }

    func run() async throws {
        let url = try queueOptions.url()
        // One key set for the worker's lifetime, resolved before any job is claimed: a key server that fails
        // stops the worker at once instead of failing every job it takes.
        let protectionSettings: ProtectionSettings?
        do {
            protectionSettings = try await protection.settings(name: protection.spekeContentID ?? "")
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        let clients: S3Clients
        do { clients = try await s3.makeClients() } catch { throw queueFailure(error) }
        let configuration = WorkerConfiguration(
            id: name ?? WorkerConfiguration.defaultID(), jobs: jobs, scratch: URL(fileURLWithPath: scratch, isDirectory: true),
            scratchLimit: Self.bytes(scratchLimit) ?? (50 << 30), lease: .seconds(lease), heartbeat: heartbeat.map { .seconds($0) },
            poll: .seconds(poll), reapInterval: .seconds(reapInterval), grace: .seconds(grace), retryDelay: .seconds(retryDelay))
        let profilesDir = self.profilesDir
        let worker = Worker(
            queue: JobQueue(url: url), configuration: configuration,
            packagers: { profile in
                let selection: ProfileSelection = profile.hasSuffix(".yaml") || profile.hasSuffix(".yml") || profile.contains("/")
                    ? .file(profile) : .named(profile)
                var options = PackagerOptions(profilesDirectory: profilesDir)
                options.protection = protectionSettings
                return try Packager(profile: selection, options: options)
            },
            clients: clients,
            emit: { event in FileHandle.standardError.write(Data((event.jsonLine + "\n").utf8)) })
        let logger = Logger(label: "smoothpack.worker") { _ in SwiftLogNoOpLogHandler() }
        var group = ServiceGroupConfiguration(
            services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(grace + 30)
        let outcome: Result<Void, any Error>
        do { try await ServiceGroup(configuration: group).run(); outcome = .success(()) } catch { outcome = .failure(error) }
        await clients.shutdown()
        if case .failure(let error) = outcome { throw queueFailure(error) }
    }
}

struct QueueWatchS3: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-s3",
        abstract: "Queue every object that appears under s3://BUCKET/PREFIX/, once (by key and ETag).",
        discussion: """
            Lists the prefix every --interval seconds. S3 lists an object only after its upload completed, so \
            partial uploads are never taken. Each (key, ETag) is recorded in the queue's database: a restarted \
            watcher, or a second one, queues nothing twice; an object replaced with new bytes is a new job. \
            Hidden and temporary names (.part, .tmp, trailing ~) are skipped. Prints one line per queued object.
            """)

    @Argument(help: "s3://BUCKET/PREFIX/ to watch.")
    var inbox: String

    @OptionGroup var queueOptions: QueueOptions

    @Option(help: "Destination s3://BUCKET[/PREFIX] of the presentations.")
    var to: String

    @Option(help: "Profile name or .yaml path (resolved by the workers).")
    var profile = "default"

    @Option(help: "Higher runs first.")
    var priority = 0

    @Option(help: "Runs before a job is marked failed.")
    var attempts = 3

    @Option(help: "Seconds between listings.")
    var interval: Double = 30

    @Flag(help: "List once, queue what is new, and exit.")
    var once = false

    @OptionGroup(title: "S3 access") var s3: S3AccessOptions

    func validate() throws {
        do {
            _ = try S3Location(parsing: inbox)
            _ = try S3Location(parsing: to)
        } catch { throw ValidationError(error.message) }
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
        guard (1...100).contains(attempts) else { throw ValidationError("--attempts must be 1...100") }
    }

    func run() async throws {
        let queue = JobQueue(url: try queueOptions.url())
        let location = try S3Location(parsing: inbox)
        let clients: S3Clients
        do { clients = try await s3.makeClients() } catch { throw queueFailure(error) }
        let watcher = S3Watcher(
            queue: queue, client: clients.client(bucket: location.bucket),
            configuration: .init(inbox: location, destination: try S3Location(parsing: to).description, profile: profile,
                                 priority: priority, maxAttempts: attempts, interval: .seconds(interval), once: once),
            onQueued: { q in
                let line = "job \(q.job): s3://\(location.bucket)/\(q.key) \(q.created ? "queued" : "already in the queue")\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            onError: { Console.error("smoothpack: \($0)") })
        let logger = Logger(label: "smoothpack.watch-s3") { _ in SwiftLogNoOpLogHandler() }
        let group = ServiceGroupConfiguration(
            services: [.init(service: watcher, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let outcome: Result<Void, any Error>
        do { try await ServiceGroup(configuration: group).run(); outcome = .success(()) } catch { outcome = .failure(error) }
        await clients.shutdown()
        await queue.close()
        if case .failure(let error) = outcome { throw queueFailure(error) }
    }
}
