public import Foundation
public import SmoothPack
public import ServiceLifecycle
internal import Publish
internal import Platform
internal import SmoothManifest
internal import Synchronization
internal import PostgresNIO
internal import Logging

/// Settings of one worker process.
public struct WorkerConfiguration: Sendable {
    /// Shown in `queue status` and the logs: `host:pid` by default.
    public var id: String
    /// Jobs run at once.
    public var jobs: Int
    /// Folder for downloaded sources and encoder output; each job gets its own subfolder, removed afterwards.
    public var scratch: URL
    /// Bytes of scratch space all running jobs together may claim (a job reserves 3x its source size).
    public var scratchLimit: Int64
    /// How long a claim or heartbeat holds a job.
    public var lease: Duration
    /// How often a running job renews its lease (a third of the lease or less).
    public var heartbeat: Duration
    /// How often an idle worker looks for work without a notification.
    public var poll: Duration
    /// How often this worker returns expired leases to the queue.
    public var reapInterval: Duration
    /// After SIGTERM, how long running jobs may take before they are stopped and handed back.
    public var grace: Duration
    /// First retry delay of a failed job (doubles per attempt).
    public var retryDelay: Duration

    public init(id: String = WorkerConfiguration.defaultID(), jobs: Int = 1, scratch: URL,
                scratchLimit: Int64 = 50 << 30, lease: Duration = .seconds(30), heartbeat: Duration? = nil,
                poll: Duration = .seconds(5), reapInterval: Duration = .seconds(10), grace: Duration = .seconds(60),
                retryDelay: Duration = .seconds(30)) {
        self.id = id
        self.jobs = max(1, jobs)
        self.scratch = scratch
        self.scratchLimit = scratchLimit
        self.lease = lease
        self.heartbeat = heartbeat ?? lease / 3
        self.poll = poll
        self.reapInterval = reapInterval
        self.grace = grace
        self.retryDelay = retryDelay
    }

    /// `<hostname>:<pid>`.
    public static func defaultID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }
}

/// A stateless encode worker: claims jobs from the PostgreSQL queue, fetches the source from S3 (or shared
/// storage), encodes with ``SmoothPack/Packager``, publishes with ``Publish/Publisher`` behind the job's fencing
/// token, and records the outcome. Runs until graceful shutdown (SIGTERM in a `ServiceGroup`).
public final class Worker: Service, Sendable {
    let queue: JobQueue
    let configuration: WorkerConfiguration
    let packagers: @Sendable (String) throws -> Packager
    let clients: S3Clients?
    let emit: @Sendable (WorkerEvent) -> Void
    private let stopping = Mutex(false)
    /// Set when a job met a fault of this host (see ``hostFault(_:)``): the worker hands the job back and stops.
    private let hostFailure = Mutex<String?>(nil)
    private let wake = Wakeup()
    private let reserved = Mutex<Int64>(0)
    /// A slot is claiming (see ``slot(scratch:)``).
    private let claiming = Mutex(false)
    private let packagerCache = Mutex<[String: Packager]>([:])

    /// - Parameters:
    ///   - packagers: resolves a job's profile (name or path) to a packager; called once per profile.
    ///   - clients: S3 access for sources and destinations.
    ///   - emit: receives the JSON-log events (the CLI writes them to standard error).
    public init(queue: JobQueue, configuration: WorkerConfiguration, packagers: @escaping @Sendable (String) throws -> Packager,
                clients: S3Clients?, emit: @escaping @Sendable (WorkerEvent) -> Void) {
        self.queue = queue
        self.configuration = configuration
        self.packagers = packagers
        self.clients = clients
        self.emit = emit
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    /// How long the fence and the recording of an outcome wait for an unreachable database: a restart or a
    /// failover (a minute or two), at least four leases. Until the database is back nobody can take the job either;
    /// when it is, the token tells whether the job is still this worker's.
    private var outageAllowance: Duration { max(configuration.lease * 4, .seconds(120)) }

    public func run() async throws {
        let db = queue.db
        // The schema first: a database that is down is waited for; a schema this build does not know is fatal.
        let scratch: URL
        do {
            // SIGTERM while the database is still awaited ends the wait: nothing was taken, so a clean stop.
            let emit = self.emit, id = configuration.id
            try await cancelWhenGracefulShutdown {
                try await db.retrying(onRetry: { emit(WorkerEvent(worker: id, event: .databaseRetry, error: $0)) }) {
                    try await Schema.check($0)
                }
            }
            scratch = try prepareScratch()
        } catch is CancellationError where Task.isShuttingDownGracefully {
            await queue.close()
            emit(WorkerEvent(worker: configuration.id, event: .stopped))
            return
        } catch {
            // The connection is closed before the error ends the run (PostgresNIO traps on an unclosed one).
            await queue.close()
            throw error
        }
        emit(WorkerEvent(worker: configuration.id, event: .started, phase: "schema \(Schema.current)"))
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { background in
                background.addTask { await self.listen() }
                background.addTask { await self.reapLoop() }
                await withTaskGroup(of: Void.self) { slots in
                    for _ in 0..<configuration.jobs {
                        slots.addTask { await self.slot(scratch: scratch) }
                    }
                }
                background.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLock { $0 = true }
            self.wake.signal()
        }
        try? FileManager.default.removeItem(at: scratch)
        await queue.close()
        emit(WorkerEvent(worker: configuration.id, event: .stopped))
        if let reason = hostFailure.withLock({ $0 }) {
            throw WorkersError(.host, "this worker stopped: S3 refuses its credentials (\(reason)); its job was handed back "
                               + "without counting the attempt")
        }
    }

    /// A fault of this host rather than of the job: S3 refuses its credentials or its clock. Another host can do
    /// the job, so the attempt must not count: one misconfigured host would otherwise fail every job it claims.
    /// (AccessDenied is not among them: a destination no host may write is the job's fault.)
    static func hostFault(_ error: any Error) -> String? {
        if let w = error as? WorkersError, w.kind == .host { return w.message }
        guard let p = error as? PublishError else { return nil }
        if p.kind == .credentials { return p.message }
        let codes: Set = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
                          "RequestTimeTooSkewed"]
        return p.code.map(codes.contains) == true ? p.message : nil
    }

    // MARK: loops

    /// Claims and runs jobs one after another until shutdown.
    ///
    /// A claim asks only for jobs whose scratch fits in what this worker has free (``JobQueue/claim(worker:lease:scratch:)``)
    /// and reserves it at once; the slots claim one at a time, so no two count the same free bytes.
    private func slot(scratch: URL) async {
        var backoff = Backoff()
        while !isStopping {
            let generation = wake.generation
            let claimed: (job: ClaimedJob, held: Int64)?
            guard await takeClaimTurn() else { return }
            do {
                defer { claiming.withLock { $0 = false } }
                // Shutdown may have begun while this slot waited for its turn.
                if isStopping { return }
                let limit = configuration.scratchLimit
                let free = max(0, limit - reserved.withLock { $0 })
                if let job = try await queue.claim(worker: configuration.id, lease: configuration.lease, scratch: (free, limit)) {
                    // A join's need is known from its parts' results only: it reserves when it has them.
                    let need = job.kind == .join ? Int64.max : ScratchNeed.forSource(job.sourceSize)
                    let held = reserved.withLock { r in
                        guard need <= limit - r else { return Int64(0) }
                        r += need
                        return need
                    }
                    claimed = (job, held)
                } else {
                    claimed = nil
                }
                backoff.reset()
            } catch {
                emit(WorkerEvent(worker: configuration.id, event: .databaseRetry, error: Database.describe(error)))
                try? await Task.sleep(for: backoff.next())
                continue
            }
            guard let claimed else {
                await wake.wait(after: generation, upTo: configuration.poll, stop: { self.isStopping })
                continue
            }
            await run(claimed.job, scratch: scratch, held: claimed.held)
            if claimed.held > 0 { reserved.withLock { $0 -= claimed.held } }
            // Its scratch is free again: a slot that found no job that fits looks again now.
            wake.signal()
        }
    }

    /// Waits for this slot's turn to claim; false when the task is cancelled (the worker is ending).
    private func takeClaimTurn() async -> Bool {
        if Task.isCancelled { return false }
        while !claiming.withLock({ busy in
            if busy { return false }
            busy = true
            return true
        }) {
            if Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Keeps one connection LISTENing; every notification wakes the idle slots. Reconnects with backoff.
    private func listen() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                let connection = try await Database.open(queue.url, id: 0, logger: Logger(label: "smoothpack.listen",
                                                                                     factory: { _ in SwiftLogNoOpLogHandler() }))
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: JobQueue.channel) { notifications in
                    emit(WorkerEvent(worker: configuration.id, event: .listening))
                    backoff.reset()
                    // Anything queued while the listener was down is found by this wake-up.
                    wake.signal()
                    for try await _ in notifications { wake.signal() }
                }
            } catch {
                if Task.isCancelled { return }
                emit(WorkerEvent(worker: configuration.id, event: .databaseRetry, phase: "listen", error: Database.describe(error)))
            }
            try? await Task.sleep(for: backoff.next())
        }
    }

    /// Returns expired leases to the queue every `reapInterval` (every worker does; the UPDATE is idempotent).
    private func reapLoop() async {
        // Reaping waits until this worker has reached the database for a whole lease: after a restart or a failover
        // every lease has run out, and the holders, reconnecting too, must get the chance to renew before their jobs
        // are taken back (reaping at once cost each running job an attempt and its finished work). A worker whose
        // database is always there reaps as soon as a lease expires.
        var reachableSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.reapInterval)
            if Task.isCancelled { return }
            guard await queue.ping() else {
                reachableSince = nil
                continue
            }
            let since = reachableSince ?? ContinuousClock.now
            reachableSince = since
            guard ContinuousClock.now - since >= configuration.lease else { continue }
            if let n = try? await queue.reap(), n > 0 {
                emit(WorkerEvent(worker: configuration.id, event: .reaped, count: n))
            }
        }
    }

    // MARK: one job

    enum Outcome: Sendable {
        case done(String)
        /// The source was split into this many part jobs; the job now waits for them (already recorded).
        case split(Int)
        case failed(String)
        case leaseLost(String)
        case shutdown
        /// This host cannot do jobs (``hostFault(_:)``): the job goes back uncounted and the worker stops.
        case hostFault(String)
    }

    struct Progress: Sendable {
        var phase: String
        var fraction: Double
    }

    struct LeaseLost: Error {
        var reason: String
    }

    /// Runs a claimed job beside its heartbeat; the first to end decides.
    /// `held`: scratch bytes the claim reserved for it (released by the caller).
    private func run(_ job: ClaimedJob, scratch: URL, held: Int64) async {
        let started = ContinuousClock.now
        emit(WorkerEvent(worker: configuration.id, event: .claimed, job: job))
        let progress = Locked<Progress>(Progress(phase: "claimed", fraction: 0))
        let folder = scratch.appendingPathComponent("job-\(job.id)-\(job.token)")
        let outcome: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await self.heartbeat(job, progress: progress) }
            group.addTask {
                do {
                    return try await self.execute(job, folder: folder, progress: progress, held: held)
                } catch let lost as LeaseLost {
                    return .leaseLost(lost.reason)
                } catch is CancellationError {
                    return nil
                } catch {
                    if Self.hostFault(error) != nil { return .hostFault(Self.oneLine(error)) }
                    // The reason names the source as queued, not this worker's scratch copy of it.
                    var reason = Self.oneLine(error)
                    if let object = try? S3ObjectURL(parsing: job.source) {
                        reason = reason.replacingOccurrences(
                            of: folder.appendingPathComponent(SourceFetcher.safeName(object.key)).path, with: job.source)
                    }
                    return .failed(reason)
                }
            }
            group.addTask {
                // Shutdown: the job gets `grace` to finish, then is stopped and handed back.
                while !self.isStopping {
                    do { try await Task.sleep(for: .milliseconds(100)) } catch { return nil }
                }
                do { try await Task.sleep(for: self.configuration.grace) } catch { return nil }
                return .shutdown
            }
            var first: Outcome?
            while let next = await group.next() {
                if let next, first == nil {
                    first = next
                    group.cancelAll()
                }
            }
            return first ?? .shutdown
        }
        try? FileManager.default.removeItem(at: folder)
        let seconds = Self.seconds(ContinuousClock.now - started)
        await record(outcome, job, seconds: seconds)
    }

    /// Writes the outcome; retried through connection failures for ``outageAllowance`` (the token then says
    /// whether the job is still ours: a reaper may have returned it meanwhile).
    private func record(_ outcome: Outcome, _ job: ClaimedJob, seconds: Double) async {
        let deadline = ContinuousClock.now + outageAllowance
        let id = configuration.id
        let onRetry: @Sendable (String) -> Void = { [emit] in emit(WorkerEvent(worker: id, event: .databaseRetry, job: job, error: $0)) }
        do {
            switch outcome {
            case .split(let parts):
                emit(WorkerEvent(worker: id, event: .split, job: job, count: parts, seconds: seconds))
            case .done(let result):
                let ok = try await queue.db.retrying(until: deadline, onRetry: onRetry) { _ in
                    job.kind == .chunk || job.kind == .audio
                        ? try await self.queue.completePart(job, result: result)
                        : try await self.queue.complete(job, result: result)
                }
                emit(WorkerEvent(worker: id, event: ok ? .done : .leaseLost, job: job, result: result,
                                 error: ok ? nil : "finished after the lease was lost; the job's new holder records it",
                                 seconds: seconds))
            case .failed(let reason):
                let state = try await queue.db.retrying(until: deadline, onRetry: onRetry) { _ in
                    try await self.queue.fail(job, reason: reason, retryDelay: self.configuration.retryDelay)
                }
                switch state {
                case .failed?:
                    emit(WorkerEvent(worker: id, event: .failed, job: job, error: reason, seconds: seconds))
                    // A split that failed for good (its join, or a part and with it the join) keeps nothing in the
                    // work prefix; `queue retry` encodes the parts again.
                    if job.kind != .encode, let clients, let destination = try? S3Location(parsing: job.destination) {
                        let join = job.parentID ?? job.id
                        await Self.removeAll(under: Self.workPrefix(destination, join: join),
                                             client: clients.client(bucket: destination.bucket))
                    }
                case nil: emit(WorkerEvent(worker: id, event: .leaseLost, job: job, error: reason, seconds: seconds))
                default: emit(WorkerEvent(worker: id, event: .retry, job: job, error: reason, seconds: seconds))
                }
            case .leaseLost(let reason):
                emit(WorkerEvent(worker: id, event: .leaseLost, job: job, error: reason, seconds: seconds))
            case .shutdown, .hostFault:
                var reason: String?
                if case .hostFault(let why) = outcome {
                    reason = why
                    hostFailure.withLock { $0 = why }
                    stopping.withLock { $0 = true }
                    wake.signal()
                }
                let ok = try await queue.db.retrying(until: ContinuousClock.now + .seconds(5), onRetry: onRetry) { _ in
                    try await self.queue.release(job)
                }
                emit(WorkerEvent(worker: id, event: ok ? .released : .leaseLost, job: job, error: reason, seconds: seconds))
            }
        } catch {
            emit(WorkerEvent(worker: id, event: .databaseRetry, job: job,
                             error: "could not record the outcome (\(Database.describe(error))); the lease will expire and the job be retried"))
        }
    }

    /// Renews the lease every `heartbeat` with the current phase and progress. Returns `.leaseLost` when the
    /// database says the job is no longer ours; connection failures are retried (the fence still guards publishing).
    private func heartbeat(_ job: ClaimedJob, progress: Locked<Progress>) async -> Outcome? {
        while true {
            do { try await Task.sleep(for: configuration.heartbeat) } catch { return nil }
            let (phase, fraction) = (progress.value.phase, progress.value.fraction)
            do {
                if try await !queue.heartbeat(job, lease: configuration.lease, phase: phase, progress: fraction) {
                    return .leaseLost("lease lost during \(phase) (expired and reclaimed, or cancelled)")
                }
            } catch is CancellationError {
                return nil
            } catch {
                if Task.isCancelled { return nil }
                emit(WorkerEvent(worker: configuration.id, event: .databaseRetry, job: job, phase: "heartbeat",
                                 error: Database.describe(error)))
            }
        }
    }

    /// By kind: fetch → (split, or encode → fence → publish); a part: fetch → encode its range → upload; a join:
    /// download the parts → mux → fence → publish. A published job's result is its playback URL.
    private func execute(_ job: ClaimedJob, folder: URL, progress: Locked<Progress>, held: Int64) async throws -> Outcome {
        let id = configuration.id
        let setPhase: @Sendable (String) -> Void = { [emit] phase in
            progress.withLock { $0 = Progress(phase: phase, fraction: 0) }
            emit(WorkerEvent(worker: id, event: .phase, job: job, phase: phase))
        }
        let onEvent: @Sendable (PackagerEvent) -> Void = { event in
            switch event {
            case .progress(_, let fraction?, _, _): progress.withLock { $0.fraction = fraction }
            case .phase(_, let p) where p != .encoding: progress.withLock { $0.phase = p.rawValue }
            default: break
            }
        }
        let destination = try S3Location(parsing: job.destination)
        guard let clients else { throw WorkersError(.usage, "this worker has no S3 access (credentials) for \(job.destination)") }
        let packager = try packager(for: job.profile)
        if job.kind == .join {
            return .done(try await join(job, packager: packager, destination: destination, clients: clients,
                                        folder: folder, setPhase: setPhase, onEvent: onEvent))
        }

        // Scratch: the source plus the encoder's output, reserved up front so N jobs never overfill the folder.
        // Reserved by the claim, unless another reservation took the room meanwhile or the job can never fit (then
        // `reserve` waits, or refuses the job with the reason).
        let need = ScratchNeed.forSource(job.sourceSize)
        let mine = held >= need ? 0 : need
        if mine > 0 { try await reserve(mine, for: job) }
        defer { if mine > 0 { reserved.withLock { $0 -= mine } } }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        setPhase("fetching")
        let source = try await SourceFetcher(clients: clients).fetch(job, into: folder, isCancelled: { Task.isCancelled })

        if job.kind == .chunk || job.kind == .audio {
            return .done(try await encodePart(job, source: source, packager: packager, destination: destination,
                                              clients: clients, folder: folder, setPhase: setPhase, onEvent: onEvent))
        }

        if (job.chunkSeconds ?? packager.chunkSeconds) > 0 {
            setPhase("planning")
            if let split = try await packager.splitPlan(source: source, chunkSeconds: job.chunkSeconds, onEvent: onEvent) {
                try Task.checkCancellation()
                let plan = String(decoding: try JSONEncoder().encode(split), as: UTF8.self)
                let ok = try await queue.db.retrying(until: ContinuousClock.now + configuration.lease) { _ in
                    try await self.queue.split(job, plan: plan, chunks: split.chunks.count, audio: split.hasAudio)
                }
                guard ok else { throw LeaseLost(reason: "lease lost before the split was recorded") }
                return .split(split.parts.count)
            }
        }

        setPhase("encoding")
        let out = folder.appendingPathComponent("out", isDirectory: true)
        let presentation = try await packager.encode(source: source, into: out, onEvent: onEvent)
        try Task.checkCancellation()
        return .done(try await publish(presentation, job: job, destination: destination, clients: clients,
                                       setPhase: setPhase))
    }

    /// One part of a split encode: its files go to the work prefix under names that carry the fencing token
    /// (a stale holder's upload never replaces the one the join uses); the result records each object's key,
    /// size and SHA-256, which the join checks.
    private func encodePart(_ job: ClaimedJob, source: URL, packager: Packager, destination: S3Location,
                            clients: S3Clients, folder: URL, setPhase: @escaping @Sendable (String) -> Void,
                            onEvent: @escaping @Sendable (PackagerEvent) -> Void) async throws -> String {
        let split = try Self.splitPlan(job)
        guard let parent = job.parentID else { throw WorkersError(.job, "part job \(job.id) has no join") }
        let part: SplitPart
        if job.kind == .audio { part = .audio } else if let k = job.part { part = .chunk(k) } else {
            throw WorkersError(.job, "chunk job \(job.id) has no chunk number")
        }
        setPhase("encoding")
        let started = ContinuousClock.now
        let out = folder.appendingPathComponent("part", isDirectory: true)
        try await packager.encodePart(part, of: split, source: source, into: out, onEvent: onEvent)
        let encodeSeconds = Self.seconds(ContinuousClock.now - started)
        try Task.checkCancellation()

        setPhase("uploading")
        let client = clients.client(bucket: destination.bucket)
        var objects: [PartObject] = []
        for name in split.files(of: part) {
            let bytes = try [UInt8](Data(contentsOf: out.appendingPathComponent(name)))
            let key = Self.workPrefix(destination, join: parent) + "\(name).t\(job.token)"
            let r = try await client.send("PUT", key: key, body: bytes)
            guard (200..<300).contains(r.status) else { throw client.failure(r, "PUT", key) }
            objects.append(PartObject(file: name, key: key, size: Int64(bytes.count),
                                      sha256: Digests.hex(SHA256.hash(bytes))))
        }
        let result = PartResult(objects: objects, encodeSeconds: (encodeSeconds * 1000).rounded() / 1000)
        return String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
    }

    /// The join of a split encode: every part's objects, checked against what the parts recorded, muxed into
    /// the presentation and published as a whole encode is; then the work prefix is removed.
    private func join(_ job: ClaimedJob, packager: Packager, destination: S3Location, clients: S3Clients,
                      folder: URL, setPhase: @escaping @Sendable (String) -> Void,
                      onEvent: @escaping @Sendable (PackagerEvent) -> Void) async throws -> String {
        let split = try Self.splitPlan(job)
        let client = clients.client(bucket: destination.bucket)
        let workPrefix = Self.workPrefix(destination, join: job.id)
        // Published already (an earlier run of this join whose outcome was lost after it removed the parts): done.
        let ism = destination.key("\(split.stem)/\(split.version)/\(split.stem).ism")
        if try await client.headObject(ism) != nil {
            // It may have stopped before the policy files (the last step of a publish): they are written now.
            let publisher = Publisher(client: client, options: PublishOptions(location: destination, concurrency: 4))
            let policy = await publisher.publishPolicyFiles(PolicyFiles.files())
            if let error = policy.error { throw error }
            await Self.removeAll(under: workPrefix, client: client)
            return "s3://\(destination.bucket)/\(ism)/Manifest"
        }
        setPhase("fetching parts")
        let results = try await queue.db.retrying(until: ContinuousClock.now + configuration.lease) { _ in
            try await self.queue.partResults(of: job.id)
        }
        var byPart: [SplitPart: PartResult] = [:]
        for r in results {
            let part: SplitPart = r.kind == .audio ? .audio : .chunk(r.part)
            byPart[part] = try JSONDecoder().decode(PartResult.self, from: Data(r.result.utf8))
        }
        let objects = try split.parts.flatMap { part -> [PartObject] in
            guard let r = byPart[part] else { throw WorkersError(.job, "join \(job.id): \(part) is not done") }
            guard Set(r.objects.map(\.file)) == Set(split.files(of: part)) else {
                throw WorkersError(.job, "join \(job.id): \(part) recorded other files than its plan names")
            }
            return r.objects
        }
        let need = ScratchNeed.forSource(objects.reduce(Int64(0)) { $0 + $1.size })
        try await reserve(need, for: job)
        defer { reserved.withLock { $0 -= need } }
        let parts = folder.appendingPathComponent("parts", isDirectory: true)
        try FileManager.default.createDirectory(at: parts, withIntermediateDirectories: true)
        // Four downloads at a time (each one piece in memory); any failure fails the join.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, object) in objects.enumerated() {
                if i >= 4 { try await group.next() }
                group.addTask {
                    guard let info = try await client.headObject(object.key), info.size == object.size else {
                        throw WorkersError(.source, "join \(job.id): part object \(object.key) is missing or has another size")
                    }
                    let digest = try await client.download(info, to: parts.appendingPathComponent(object.file),
                                                           isCancelled: { Task.isCancelled })
                    guard Digests.hex(digest) == object.sha256 else {
                        throw WorkersError(.source, "join \(job.id): part object \(object.key) does not match its SHA-256")
                    }
                }
            }
            try await group.waitForAll()
        }
        setPhase("joining")
        let out = folder.appendingPathComponent("out", isDirectory: true)
        let presentation = try await packager.join(split, parts: parts, source: URL(fileURLWithPath: job.source),
                                                   into: out, onEvent: onEvent)
        try Task.checkCancellation()
        let playback = try await publish(presentation, job: job, destination: destination, clients: clients,
                                         setPhase: setPhase)
        // The work prefix (every attempt's uploads, stale ones too) is not needed any more; a failure here
        // leaves garbage, never a wrong presentation.
        await Self.removeAll(under: workPrefix, client: client)
        return playback
    }

    /// Deletes every object under `prefix` (best effort).
    static func removeAll(under prefix: String, client: S3Client) async {
        var continuation: String?
        repeat {
            guard let page = try? await client.listObjects(prefix: prefix, continuation: continuation) else { return }
            for object in page.objects { _ = try? await client.send("DELETE", key: object.key) }
            continuation = page.next
        } while continuation != nil
    }

    /// `<destination prefix>/.smoothpack-work/job-<join id>/`: where a split encode's parts wait for their join.
    static func workPrefix(_ destination: S3Location, join: Int64) -> String {
        destination.key(".smoothpack-work/job-\(join)/")
    }

    static func splitPlan(_ job: ClaimedJob) throws -> SplitPlan {
        guard let text = job.split, let plan = try? JSONDecoder().decode(SplitPlan.self, from: Data(text.utf8)) else {
            throw WorkersError(.job, "job \(job.id) (\(job.kind.rawValue)) has no readable split plan")
        }
        return plan
    }

    /// Fence → publish (create-only; the `.ism` last) → policy files. Returns the playback URL.
    private func publish(_ presentation: Presentation, job: ClaimedJob, destination: S3Location, clients: S3Clients,
                         setPhase: @escaping @Sendable (String) -> Void) async throws -> String {
        let id = configuration.id
        setPhase("publishing")
        let publisher = Publisher(client: clients.client(bucket: destination.bucket),
                                  options: PublishOptions(location: destination, concurrency: 4))
        let steps = ["start", "ismc", "ism"]
        let step = Locked(0)
        let fenceLost = Locked(false)
        let report = await publisher.publish(folder: presentation.directory, fence: { [self] in
            let name = step.withLock { n in defer { n += 1 }; return steps[min(n, steps.count - 1)] }
            let ok = try await queue.db.retrying(until: ContinuousClock.now + outageAllowance) { _ in
                try await self.queue.fence(job, lease: self.configuration.lease, phase: "publishing")
            }
            guard ok else {
                fenceLost.withLock { $0 = true }
                throw PublishError(.s3, "fence: lease of job \(job.id) lost before \(name); nothing more published")
            }
            self.emit(WorkerEvent(worker: id, event: .fenced, job: job, phase: name))
        })
        if fenceLost.value { throw LeaseLost(reason: report.error?.message ?? "fence refused") }
        if let error = report.error {
            // Someone published this version first (an earlier run of this job whose outcome was lost); the
            // published presentation is complete (the .ism is last), so the job is done.
            guard error.kind == .immutableConflict else { throw error }
        }
        let policy = await publisher.publishPolicyFiles(PolicyFiles.files())
        if let error = policy.error { throw error }
        let playback = report.playbackKey.isEmpty ? destination.key(presentation.playbackPath) : report.playbackKey
        return "s3://\(destination.bucket)/\(playback)"
    }

    private func packager(for profile: String) throws -> Packager {
        if let p = packagerCache.withLock({ $0[profile] }) { return p }
        let p = try packagers(profile)
        packagerCache.withLock { $0[profile] = p }
        return p
    }

    /// Waits until `bytes` fit beside the running jobs' reservations; refuses a job that could never fit.
    private func reserve(_ bytes: Int64, for job: ClaimedJob) async throws {
        guard bytes <= configuration.scratchLimit else {
            throw WorkersError(.source, "\(job.source): \(job.sourceSize) bytes need about \(bytes) bytes of scratch; "
                               + "--scratch-limit is \(configuration.scratchLimit)")
        }
        while true {
            let ok = reserved.withLock { r in
                if r + bytes <= configuration.scratchLimit { r += bytes; return true }
                return false
            }
            if ok { return }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    /// `<scratch>/<pid>-<random>/` for this process; folders of processes that no longer run are removed.
    private func prepareScratch() throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: configuration.scratch, withIntermediateDirectories: true)
        for name in (try? fm.contentsOfDirectory(atPath: configuration.scratch.path)) ?? [] {
            guard name.hasPrefix("worker-"), let pid = Int32(name.dropFirst(7).prefix { $0 != "-" }) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? fm.removeItem(at: configuration.scratch.appendingPathComponent(name))
            }
        }
        let mine = configuration.scratch.appendingPathComponent(
            "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
        try fm.createDirectory(at: mine, withIntermediateDirectories: true)
        return mine
    }

    static func oneLine(_ error: any Error) -> String {
        let text: String
        if let e = error as? WorkersError { text = e.message } else { text = "\(error)" }
        return text.split(separator: "\n").first.map(String.init) ?? text
    }

    static func seconds(_ d: Duration) -> Double { JobQueue.seconds(d) }
}

/// One uploaded file of a part.
struct PartObject: Codable, Sendable {
    var file: String
    var key: String
    var size: Int64
    var sha256: String
}

/// A part job's result: its objects, and how long its encode took (for the modelled speed-up, docs/chunks.md).
struct PartResult: Codable, Sendable {
    var objects: [PartObject]
    var encodeSeconds: Double
}

/// Wakes idle slots: a generation counter bumped by every notification; an idle slot sleeps in short steps
/// until it changes, shutdown begins, or the poll interval passes.
final class Wakeup: Sendable {
    private let counter = Mutex<UInt64>(0)

    var generation: UInt64 { counter.withLock { $0 } }

    func signal() { counter.withLock { $0 &+= 1 } }

    func wait(after generation: UInt64, upTo limit: Duration, stop: () -> Bool) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, self.generation == generation, !stop() {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }
}

/// Scratch bytes a job reserves: its source (or, for a join, its parts) three times over (the copy, the
/// encoder's output, the presentation) plus a margin. The queue filters claims with the same figures.
enum ScratchNeed {
    static let sourceFactor: Int64 = 3
    static let margin: Int64 = 64 << 20

    static func forSource(_ bytes: Int64) -> Int64 {
        let (scaled, over) = max(bytes, 0).multipliedReportingOverflow(by: sourceFactor)
        return over ? Int64.max : scaled.addingReportingOverflow(margin).overflow ? Int64.max : scaled + margin
    }
}
