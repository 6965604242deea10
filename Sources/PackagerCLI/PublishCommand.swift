import ArgumentParser
import Foundation
import Publish
import SmoothManifest
import SmoothPack
import Synchronization
import WatchFolder

/// `--to` and the S3 options, shared by `publish`, `encode` and `watch`.
struct PublishTargetOptions: ParsableArguments {
    @Option(help: "Publish to s3://BUCKET[/PREFIX] (object key = PREFIX/ + the key in upload-manifest.json).")
    var to: String?

    @Option(help: "S3 endpoint URL (default https://s3.<region>.amazonaws.com).")
    var endpointURL: String?

    @Option(help: "Signing region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1).")
    var region: String?

    @Option(help: "Profile of ~/.aws/credentials and ~/.aws/config (--profile names the encoding profile).")
    var awsProfile: String?

    @Flag(help: "Path-style addressing (http://HOST/BUCKET/KEY); automatic for IP-address and localhost endpoints.")
    var pathStyle = false

    @Option(help: "Objects or parts in flight at once.")
    var concurrency = 8

    @Option(help: .hidden)
    var multipartThreshold: Int64 = 64 << 20

    @Option(help: .hidden)
    var partSize: Int64 = 8 << 20

    func validate() throws {
        // Malformed values are usage errors (exit 2, with the usage line), like a missing one.
        do {
            if let to { _ = try S3Location(parsing: to) }
            if let endpointURL { _ = try Endpoint(parsing: endpointURL) }
        } catch { throw ValidationError(error.message) }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1...64") }
        guard multipartThreshold >= 8 << 20, partSize >= 8 << 20, partSize <= 5 << 30 else {
            throw ValidationError("--multipart-threshold and --part-size must be at least 8 MiB (parts at most 5 GiB)")
        }
    }

    /// A client and publisher for `--to`; nil when `--to` is absent.
    func makePublisher(dryRun: Bool) async throws -> Publisher? {
        guard let to else { return nil }
        let location = try S3Location(parsing: to)
        let chain = CredentialChain(profile: awsProfile)
        let region = region ?? chain.region() ?? "us-east-1"
        let endpoint = try endpointURL.map { try Endpoint(parsing: $0) } ?? Endpoint.aws(region: region)
        let credentials: AWSCredentials
        if dryRun, let c = try? await chain.resolve() { credentials = c }
        else { credentials = try await chain.resolve() }
        let client = S3Client(configuration: S3Configuration(endpoint: endpoint, region: region, pathStyle: pathStyle),
                              bucket: location.bucket, credentials: credentials)
        return Publisher(client: client, options: PublishOptions(location: location, concurrency: concurrency, dryRun: dryRun,
                                                                          multipartThreshold: multipartThreshold, partSize: partSize))
    }
}

struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Upload presentations to S3 exactly as their upload-manifest.json says.",
        discussion: """
            Each file is checked against upload-manifest.json first (a changed file: exit 1, nothing sent).
            Media go first, then .ismc, the .ism last; names under a published version (its .ism exists) are
            never overwritten. A re-run sends nothing. Credentials: environment, ~/.aws files (--aws-profile),
            container credentials endpoint, EC2 instance metadata (IMDSv2).
            """)

    @Argument(help: "Output folders (of encode/package) or single presentation folders (<out>/<stem>/<version>).")
    var folders: [String]

    @OptionGroup var target: PublishTargetOptions

    @Flag(help: "List what would be sent; send nothing.")
    var dryRun = false

    @Flag(help: "Print a JSON report (per object: key, size, action uploaded|skipped|failed, attempts).")
    var json = false

    func validate() throws {
        guard target.to != nil else { throw ValidationError("publish needs --to s3://BUCKET[/PREFIX]") }
    }

    func run() async throws {
        let publisher: Publisher
        do {
            guard let p = try await target.makePublisher(dryRun: dryRun) else { throw ExitCode(2) }
            publisher = p
        } catch let e as PublishError {
            Console.error("smoothpack: \(e.message)")
            throw ExitCode(1)
        }
        let ok = await PublishRun(publisher: publisher, json: json).run(folders.map { URL(fileURLWithPath: $0) })
        await publisher.client.shutdown()
        if !ok { throw ExitCode(1) }
    }
}

/// Publishes folders and reports: a live line on a terminal, one line per presentation otherwise, or JSON.
struct PublishRun {
    let publisher: Publisher
    let json: Bool

    /// Publishes every presentation under `folders`, then the policy files; true when all succeeded.
    func run(_ folders: [URL]) async -> Bool {
        var presentations: [URL] = []
        var roots: [URL] = []
        for folder in folders {
            do {
                let found = try Publisher.presentations(in: folder)
                presentations += found
                roots.append(found == [folder] ? folder.deletingLastPathComponent().deletingLastPathComponent() : folder)
            } catch {
                Console.error("smoothpack: \(error.message)")
                return false
            }
        }
        return await publish(presentations, policyRoot: roots.first)
    }

    /// Publishes the given presentation folders and the policy files found at `policyRoot` (or the defaults).
    func publish(_ presentations: [URL], policyRoot: URL?) async -> Bool {
        let tty = isatty(STDERR_FILENO) == 1 && !json
        let progress = PublishProgress(live: tty)
        var all: [ObjectReport] = []
        var ok = true
        for folder in presentations {
            let report = await publisher.publish(folder: folder) { progress.handle($0) }
            all += report.objects
            progress.finishLine()
            if let error = report.error {
                ok = false
                Console.error("smoothpack: \(error.message)")
                break
            }
            if !json { Console.error(summary(report)) }
        }
        if ok {
            let policy = await publisher.publishPolicyFiles(policyFiles(policyRoot))
            all += policy.objects
            if let error = policy.error {
                ok = false
                Console.error("smoothpack: \(error.message)")
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(all) { print(String(decoding: data, as: UTF8.self)) }
        } else if publisher.options.dryRun {
            for o in all where o.action == .wouldUpload { print("would upload s3://\(publisher.client.bucket)/\(o.key) (\(o.size) bytes)") }
        }
        return ok
    }

    func summary(_ r: PresentationReport) -> String {
        let up = r.objects.filter { $0.action == .uploaded }.count
        let skipped = r.objects.filter { $0.action == .skipped }.count
        let would = r.objects.filter { $0.action == .wouldUpload }.count
        let verb = publisher.options.dryRun ? "\(would) to upload" : "\(up) uploaded (\(r.uploadedBytes) bytes)"
        return "\(r.presentation): \(verb), \(skipped) already there; s3://\(publisher.client.bucket)/\(r.playbackKey)"
    }

    func policyFiles(_ root: URL?) -> [(name: String, contents: [UInt8])] {
        let names = ["clientaccesspolicy.xml", "crossdomain.xml"]
        if let root {
            let found = names.compactMap { name -> (name: String, contents: [UInt8])? in
                guard let d = try? Data(contentsOf: root.appendingPathComponent(name)) else { return nil }
                return (name, [UInt8](d))
            }
            if found.count == names.count { return found }
        }
        return PolicyFiles.files()
    }
}

/// The terminal progress line: bytes and objects done, rate, ETA.
final class PublishProgress: Sendable {
    private struct State {
        var objects = 0, totalObjects = 0
        var bytes: Int64 = 0, totalBytes: Int64 = 0
        var started = Date()
        var name = ""
    }
    private let state = Mutex(State())
    let live: Bool

    init(live: Bool) { self.live = live }

    func handle(_ event: PublishEvent) {
        let line: String? = state.withLock { s in
            switch event {
            case let .verified(name, objects, bytes):
                s = State(objects: 0, totalObjects: objects, bytes: 0, totalBytes: bytes, started: Date(), name: name)
            case let .object(r):
                s.objects += 1
                if r.action != .uploaded { s.totalBytes -= r.size }
            case let .bytesSent(n):
                s.bytes += n
            }
            guard live else { return nil }
            let elapsed = max(0.001, Date().timeIntervalSince(s.started))
            let rate = Double(s.bytes) / elapsed
            let eta = rate > 0 ? Double(max(0, s.totalBytes - s.bytes)) / rate : 0
            return String(format: "\r%@: %d/%d objects, %.1f/%.1f MB, %.1f MB/s, ETA %.0f s\u{1B}[K", s.name,
                          s.objects, s.totalObjects, Double(s.bytes) / 1e6, Double(s.totalBytes) / 1e6, rate / 1e6, eta)
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finishLine() {
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// `watch --to`: encodes with the packager, then publishes the presentation before the job counts as done.
struct PublishingEncoder: SourceEncoder {
    let packager: Packager
    let publisher: Publisher

    func encode(source: URL, into outDir: URL) async throws -> EncodedSource {
        let encoded = try await packager.encode(source: source, into: outDir)
        let folder = outDir.appendingPathComponent(encoded.prefix)
        let ok = await PublishRun(publisher: publisher, json: false).publish([folder], policyRoot: outDir)
        guard ok else { throw PublishError(.transport, "publishing \(encoded.prefix) to \(publisher.options.location) failed") }
        return encoded
    }
}
