import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Publish
#if canImport(Glibc)
import Glibc
#endif

/// The fake metadata server of `Scripts/fake_metadata.py`, one per test that needs it.
final class FakeMetadata {
    let process: Process
    let port: Int

    init() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/fake_metadata.py")
        p.arguments = ["python3", script.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var line: [UInt8] = []
        while true {
            let b = out.fileHandleForReading.readData(ofLength: 1)
            guard let c = b.first else { break }
            if c == 0x0A { break }
            line.append(c)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            p.terminate()
            throw ExternalToolError(message: "fake_metadata.py did not print a port")
        }
        process = p
        self.port = port
    }

    /// SIGKILL: the test runner's blocked signal mask is inherited, so SIGTERM may never arrive.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite struct CredentialTests {
    /// An environment with an empty HOME (no shared files) and IMDS switched off, plus `extra`.
    func environment(_ extra: [String: String] = [:], home: URL? = nil) throws -> [String: String] {
        let h = try home ?? TestPaths.temporaryDirectory("home")
        var env = ["HOME": h.path, "AWS_EC2_METADATA_DISABLED": "true"]
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// An endpoint URL with user info is refused, and the refusal does not repeat what may be a secret.
    @Test func anEndpointURLWithCredentialsIsRefusedWithoutEchoingThem() {
        for text in ["http://AKIDEXAMPLE:wJalrXUtnFEMI@127.0.0.1:9000", "https://user:p%40ss@s3.example.com/",
                     "http://only-a-token@host"] {
            do {
                _ = try Endpoint(parsing: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(!error.message.contains("wJalrXUtnFEMI") && !error.message.contains("p%40ss")
                        && !error.message.contains("only-a-token"), "\(error.message)")
                #expect(error.message.contains("***@") && error.message.contains("no user info"), "\(error.message)")
            }
        }
    }

    @Test func environmentVariables() async throws {
        let c = try await CredentialChain(environment: try environment([
            "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
            "AWS_REGION": "eu-west-3"])).resolve()
        #expect(c == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "env-secret", sessionToken: "env-token"))
        #expect(CredentialChain(environment: try environment(["AWS_REGION": "eu-west-3"])).region() == "eu-west-3")
    }

    @Test func sharedFilesAndProfiles() async throws {
        let home = try TestPaths.temporaryDirectory("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        try """
        # comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default-secret

        [other]
        aws_access_key_id=AKIDOTHER
        aws_secret_access_key=other-secret
        aws_session_token = other-token
        """.write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        try """
        [default]
        region = ap-northeast-1
        [profile cfgonly]
        region = sa-east-1
        aws_access_key_id = AKIDCFG
        aws_secret_access_key = cfg-secret
        """.write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        let env = try environment(home: home)
        #expect(try await CredentialChain(environment: env).resolve().accessKeyID == "AKIDDEFAULT")
        #expect(CredentialChain(environment: env).region() == "ap-northeast-1")
        let other = try await CredentialChain(environment: env, profile: "other").resolve()
        #expect(other == AWSCredentials(accessKeyID: "AKIDOTHER", secretAccessKey: "other-secret", sessionToken: "other-token"))
        var viaEnv = env
        viaEnv["AWS_PROFILE"] = "cfgonly"
        #expect(try await CredentialChain(environment: viaEnv).resolve().accessKeyID == "AKIDCFG")
        #expect(CredentialChain(environment: viaEnv).region() == "sa-east-1")
        // An explicit profile wins over environment keys.
        var both = env
        both["AWS_ACCESS_KEY_ID"] = "AKIDENV"
        both["AWS_SECRET_ACCESS_KEY"] = "env-secret"
        #expect(try await CredentialChain(environment: both, profile: "other").resolve().accessKeyID == "AKIDOTHER")
        await #expect { try await CredentialChain(environment: env, profile: "missing").resolve() } throws: { e in
            let m = (e as? PublishError)?.message ?? ""
            return m.contains("'missing'") && !m.contains("default-secret") && !m.contains("other-secret")
        }
    }

    @Test func containerCredentialsEndpoint() async throws {
        let fake = try FakeMetadata()
        defer { fake.stop() }
        let c = try await CredentialChain(environment: try environment([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(fake.port)/ecs/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-auth"])).resolve()
        #expect(c == AWSCredentials(accessKeyID: "ASIAECSKEY", secretAccessKey: "ecs-secret-value", sessionToken: "ecs-token-value"))
        await #expect { try await CredentialChain(environment: try environment([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(fake.port)/ecs/creds"])).resolve()
        } throws: { e in ((e as? PublishError)?.message ?? "").contains("HTTP 401") }
    }

    @Test func instanceMetadataV2() async throws {
        let fake = try FakeMetadata()
        defer { fake.stop() }
        var env = try environment()
        env["AWS_EC2_METADATA_DISABLED"] = nil
        env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:\(fake.port)"
        let c = try await CredentialChain(environment: env).resolve()
        #expect(c == AWSCredentials(accessKeyID: "ASIAIMDSKEY", secretAccessKey: "imds-secret-value", sessionToken: "imds-token-value"))
    }

    @Test func nothingFoundIsOneLineWithoutSecrets() async throws {
        await #expect { try await CredentialChain(environment: try environment()).resolve() } throws: { e in
            let m = (e as? PublishError)?.message ?? ""
            return m.hasPrefix("no AWS credentials") && !m.contains("\n")
        }
    }
}
