import Foundation
import Publish
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Why a shared fixture could not be made.
struct FixtureError: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One SeaweedFS (`weed mini`) per test process, started by `scripts/s3-server` and stopped at exit.
enum S3Server {
    static let accessKey = "SMOOTHPACKTESTKEY"
    static let secretKey = "smoothpack-test-secret"
    static let bucket = "smoothpack-test"

    struct Info: Sendable {
        var endpoint: String
        var directory: URL
    }

    private static let stopDirectory = Mutex<String?>(nil)

    /// Starts the server once (a failure to start fails every test that needs it, with the script's message).
    static let shared: Result<Info, FixtureError> = {
        do {
            let dir = try TestPaths.temporaryDirectory("s3")
            let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/s3-server").path
            let result = try External.run([script, "start", dir.path], timeout: 300)
            guard result.status == 0 else {
                return .failure(FixtureError(message: "scripts/s3-server start failed: \(result.stderr)"))
            }
            stopDirectory.withLock { $0 = dir.path }
            atexit {
                if let dir = S3Server.stopDirectory.withLock({ $0 }) {
                    let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/s3-server").path
                    _ = try? External.run([script, "stop", dir], timeout: 30)
                }
            }
            return .success(Info(endpoint: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), directory: dir))
        } catch {
            return .failure(FixtureError(message: "cannot run scripts/s3-server: \(error)"))
        }
    }()

    static func info() throws -> Info { try shared.get() }

    /// A client for the test server (optionally with another secret, or through another endpoint).
    static func client(secret: String = secretKey, endpoint: String? = nil, maxAttempts: Int = 5,
                       readTimeoutSeconds: Int = 5, uploadReadTimeoutSeconds: Int? = nil) throws -> S3Client {
        let info = try info()
        let config = S3Configuration(endpoint: try Endpoint(parsing: endpoint ?? info.endpoint), region: "us-east-1",
                                     pathStyle: true, maxAttempts: maxAttempts, baseBackoffMilliseconds: 50,
                                     readTimeoutSeconds: readTimeoutSeconds,
                                     uploadReadTimeoutSeconds: uploadReadTimeoutSeconds ?? readTimeoutSeconds,
                                     throttleBackoffMilliseconds: 50)
        return S3Client(configuration: config, bucket: bucket,
                        credentials: AWSCredentials(accessKeyID: accessKey, secretAccessKey: secret))
    }

    /// A fresh prefix so tests sharing the bucket never meet.
    static func prefix(_ label: String) -> String { "\(label)-\(UUID().uuidString.prefix(8).lowercased())" }
}

/// Every `testmedia/` clip encoded once with `--profile fast` (the real pipeline, via the `smoothpack` binary).
enum Encoded {
    static let shared: Result<URL, FixtureError> = {
        do {
            let out = try TestPaths.temporaryDirectory("publish-out")
            let inputs = TestPaths.allTestMedia.map { TestPaths.testMedia($0) }
            let result = try External.run([try TestPaths.smoothpackBinary, "encode"] + inputs
                                          + ["--out", out.path, "--profile", "fast"], timeout: 1800)
            guard result.status == 0 else {
                return .failure(FixtureError(message: "smoothpack encode failed: \(result.stderr)"))
            }
            return .success(out)
        } catch {
            return .failure(FixtureError(message: "\(error)"))
        }
    }()

    static func out() throws -> URL { try shared.get() }

    /// The presentation folders (`<out>/<stem>/<version>`), one per clip.
    static func presentations() throws -> [URL] { try Publisher.presentations(in: out()) }

    /// A private copy of one presentation folder (for tampering), as `<tmp>/<stem>/<version>`.
    static func copy(_ folder: URL) throws -> URL {
        let root = try TestPaths.temporaryDirectory("publish-copy")
        let target = root.appendingPathComponent(folder.deletingLastPathComponent().lastPathComponent)
            .appendingPathComponent(folder.lastPathComponent)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder, to: target)
        return target
    }
}

extension S3Client {
    /// GET of an object: status, body, headers.
    func get(_ key: String) async throws -> S3Response { try await send("GET", key: key, maxResponseBytes: 1 << 30) }
}
