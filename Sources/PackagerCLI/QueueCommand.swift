import ArgumentParser
import Foundation
import MediaCore
import Publish
import Workers

/// `--queue URL`, shared by `queue …`, `worker` and `watch --queue`.
struct QueueOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The job queue: postgres://USER[:PASSWORD]@HOST[:PORT]/DB, or a socket folder as "
                               + "postgres://USER@/DB?host=/run/postgresql. Default: SMOOTHPACK_QUEUE. A password may "
                               + "also come from PGPASSWORD (better than in the URL on a command line, which ps shows).", valueName: "url"))
    var queue: String?

    func url() throws -> QueueURL {
        guard let text = queue ?? ProcessInfo.processInfo.environment["SMOOTHPACK_QUEUE"], !text.isEmpty else {
            throw ValidationError("--queue is required (or set SMOOTHPACK_QUEUE)")
        }
        do { return try QueueURL(parsing: text) } catch { throw ValidationError(error.message) }
    }
}

/// The S3 endpoint and credentials options without `--to` (workers and watchers address many buckets).
struct S3AccessOptions: ParsableArguments {
    @Option(help: "S3 endpoint URL (default https://s3.<region>.amazonaws.com).")
    var endpointURL: String?

    @Option(help: "Signing region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1).")
    var region: String?

    @Option(help: "Profile of ~/.aws/credentials and ~/.aws/config.")
    var awsProfile: String?

    @Flag(help: "Path-style addressing (http://HOST/BUCKET/KEY); automatic for IP-address and localhost endpoints.")
    var pathStyle = false

    func validate() throws {
        do {
            if let endpointURL { _ = try Endpoint(parsing: endpointURL) }
        } catch { throw ValidationError(error.message) }   // a usage error (exit 2)
    }

    /// Clients for any bucket; credentials resolved now (environment, ~/.aws, container, IMDS).
    func makeClients() async throws -> S3Clients {
        let chain = CredentialChain(profile: awsProfile)
        let region = region ?? chain.region() ?? "us-east-1"
        let endpoint = try endpointURL.map { try Endpoint(parsing: $0) } ?? Endpoint.aws(region: region)
        let credentials = try await chain.resolve()
        return S3Clients(configuration: S3Configuration(endpoint: endpoint, region: region, pathStyle: pathStyle),
                         credentials: credentials)
    }
}

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "The PostgreSQL job queue that `smoothpack worker` processes on many hosts take jobs from.",
        discussion: """
            A job is one source, one profile and one destination (s3://BUCKET[/PREFIX]); adding the same triple \
            again is the same job. Workers claim jobs (highest --priority first, then oldest), hold them by a \
            lease they renew, and publish the presentation to the destination. A failed job is retried with \
            backoff, then marked failed with its reason. Example:
              smoothpack queue init --queue postgres://smoothpack@db.internal/smoothpack
              smoothpack queue add --queue $Q s3://media-inbox/film.mov --to s3://media-out/vod
              smoothpack queue status --queue $Q
            """,
        subcommands: [QueueInit.self, QueueAdd.self, QueueStatusCommand.self, QueueRetry.self, QueueCancel.self,
                      QueueWatchS3.self])
}

/// Maps queue errors to one line and an exit status (2 for usage, 1 otherwise).
func queueFailure(_ error: any Error) -> ExitCode {
    if let w = error as? WorkersError {
        Console.error("smoothpack: \(w.message)")
        return ExitCode(w.kind == .usage ? 2 : 1)
    }
    Console.error("smoothpack: \(error)")
    return ExitCode(1)
}

struct QueueInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or upgrade the queue's tables (idempotent; safe to run from several hosts at once).")

    @OptionGroup var queueOptions: QueueOptions

    func run() async throws {
        let queue = JobQueue(url: try queueOptions.url())
        do {
            let (from, to) = try await queue.initialise()
            await queue.close()
            print(from == to ? "schema is up to date (version \(to))" : "schema upgraded from version \(from) to \(to)")
        } catch {
            await queue.close()
            throw queueFailure(error)
        }
    }
}

struct QueueAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Queue sources (s3://BUCKET/KEY objects, or files on storage every worker mounts at the same path).",
        discussion: """
            Each source is fingerprinted now (S3: its ETag and size; a file: its SHA-256); a worker refuses a \
            source whose bytes changed since. Prints one line per source: the job id and whether it was new.
            """)

    @Argument(help: "Sources: s3://BUCKET/KEY or file paths.")
    var sources: [String]

    @OptionGroup var queueOptions: QueueOptions

    @Option(help: "Destination s3://BUCKET[/PREFIX] the presentation is published to.")
    var to: String

    @Option(help: "Profile name or .yaml path (resolved by the worker; a path must exist on every worker).")
    var profile = "default"

    @Option(help: "Higher runs first.")
    var priority = 0

    @Option(help: "Runs before the job is marked failed.")
    var attempts = 3

    @Option(help: ArgumentHelp("Split a source longer than about twice this many seconds into chunks of about this "
                               + "length, encoded by any worker and joined (0: never split). Default: the profile's "
                               + "chunk_seconds (120). Part of the job's identity and of the presentation's version.",
                               valueName: "seconds"))
    var chunkSeconds: Double?

    @Flag(help: "One JSON object per line: {\"id\",\"created\",\"source\",\"state\"} or {\"source\",\"error\"}.")
    var json = false

    @OptionGroup(title: "S3 access (for s3:// sources)") var s3: S3AccessOptions

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one source") }
        do { _ = try S3Location(parsing: to) } catch { throw ValidationError(error.message) }
        guard (1...100).contains(attempts) else { throw ValidationError("--attempts must be 1...100") }
        if let chunkSeconds, chunkSeconds != 0 && !(1...86400).contains(chunkSeconds) {
            throw ValidationError("--chunk-seconds must be 0 (never split) or 1 to 86400")
        }
    }

    func run() async throws {
        let queue = JobQueue(url: try queueOptions.url())
        let destination = try S3Location(parsing: to).description
        var clients: S3Clients?
        if sources.contains(where: { $0.hasPrefix("s3://") }) {
            do { clients = try await s3.makeClients() } catch { throw queueFailure(error) }
        }
        var failed = false
        for argument in sources {
            do {
                let (source, fingerprint, size) = try await SourceIdentity.describe(argument, clients: clients)
                let r = try await queue.add(JobRequest(source: source, fingerprint: fingerprint, sourceSize: size,
                                                       profile: profile, destination: destination, priority: priority,
                                                       maxAttempts: attempts, chunkSeconds: chunkSeconds))
                if json {
                    print(#"{"created":\#(r.created),"id":\#(r.id),"source":\#(jsonString(source)),"state":"\#(r.state.rawValue)"}"#)
                } else {
                    print("job \(r.id): \(source) \(r.created ? "queued" : "already in the queue (\(r.state.rawValue))")")
                }
            } catch {
                failed = true
                let message = (error as? WorkersError)?.message ?? "\(error)"
                if json { print(#"{"error":\#(jsonString(message)),"source":\#(jsonString(argument))}"#) }
                else { Console.error("smoothpack: \(message)") }
                if let w = error as? WorkersError, w.kind == .database || w.kind == .schema { break }
            }
        }
        await clients?.shutdown()
        await queue.close()
        if failed { throw ExitCode(1) }
    }
}

struct QueueStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Counts by state, running jobs (worker, phase, progress, time) and recent failures with their reasons.")

    @OptionGroup var queueOptions: QueueOptions

    @Flag(help: "One JSON object: {\"schemaVersion\",\"counts\",\"running\":[…],\"failed\":[…]}.")
    var json = false

    @Option(help: "Failures listed.")
    var failures = 20

    func run() async throws {
        let queue = JobQueue(url: try queueOptions.url())
        let status: QueueStatus
        do { status = try await queue.status(failedLimit: failures) } catch {
            await queue.close()
            throw queueFailure(error)
        }
        await queue.close()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print(JobState.allCases.map { "\($0.rawValue) \(status.counts[$0.rawValue] ?? 0)" }.joined(separator: ", "))
        for j in status.running {
            let took = j.runningSeconds.map { String(format: "%.0f s", $0) } ?? "-"
            let percent = String(format: "%.0f%%", j.progress * 100)
            let what: String
            switch j.kind {
            case .encode: what = ""
            case .chunk: what = " chunk \(j.part ?? -1) of #\(j.parentID ?? -1)"
            case .audio: what = " audio of #\(j.parentID ?? -1)"
            case .join: what = " join"
            }
            print("  #\(j.id)\(what) \(j.source) on \(j.worker ?? "?"): \(j.phase ?? "-") \(percent), \(took), attempt \(j.attempts)/\(j.maxAttempts)")
        }
        for j in status.waiting {
            print("  #\(j.id) split \(j.source): waiting for \(j.pendingParts) part\(j.pendingParts == 1 ? "" : "s")")
        }
        for j in status.failed {
            print("  #\(j.id) failed \(j.source): \(j.error ?? "?")")
        }
    }
}

struct QueueRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Queue failed or cancelled jobs again, with their attempts reset.")

    @Argument(help: "Job ids.") var ids: [Int64]
    @OptionGroup var queueOptions: QueueOptions

    func run() async throws {
        let queue = JobQueue(url: try queueOptions.url())
        do {
            let changed = Set(try await queue.retry(ids))
            await queue.close()
            for id in ids { print(changed.contains(id) ? "job \(id): queued" : "job \(id): not failed or cancelled; unchanged") }
            if changed.count != Set(ids).count { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch {
            await queue.close()
            throw queueFailure(error)
        }
    }
}

struct QueueCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel queued or running jobs (a running job stops at its worker's next heartbeat).")

    @Argument(help: "Job ids.") var ids: [Int64]
    @OptionGroup var queueOptions: QueueOptions

    func run() async throws {
        let queue = JobQueue(url: try queueOptions.url())
        do {
            let changed = Set(try await queue.cancel(ids))
            await queue.close()
            for id in ids { print(changed.contains(id) ? "job \(id): cancelled" : "job \(id): not queued or running; unchanged") }
            if changed.count != Set(ids).count { throw ExitCode(1) }
        } catch let e as ExitCode { throw e } catch {
            await queue.close()
            throw queueFailure(error)
        }
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String { JSONText.quoted(s) }
