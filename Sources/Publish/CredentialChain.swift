internal import AsyncHTTPClient
public import Foundation
internal import NIOCore
internal import NIOHTTP1

/// Finds credentials the way the AWS CLI and SDKs do: environment, then the shared `credentials` and
/// `config` files (profile from `--aws-profile`, else `AWS_PROFILE`, else `default`), then the container
/// credentials endpoint (ECS), then the EC2 instance metadata service (IMDSv2). No error message carries a
/// secret.
public struct CredentialChain: Sendable {
    /// Environment variables (normally the process environment).
    public var environment: [String: String]
    /// Profile named on the command line.
    public var profile: String?
    /// IMDS endpoint (`http://169.254.169.254`, or `AWS_EC2_METADATA_SERVICE_ENDPOINT`).
    public var imdsEndpoint: String
    /// Whether to try IMDS at all (`AWS_EC2_METADATA_DISABLED=true` turns it off).
    public var imdsEnabled: Bool

    /// Creates a chain.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, profile: String? = nil) {
        self.environment = environment
        self.profile = profile
        self.imdsEndpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            ?? "http://169.254.169.254"
        self.imdsEnabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() != "true"
    }

    /// The profile in effect.
    public var profileName: String { profile ?? nonEmpty("AWS_PROFILE") ?? "default" }

    private func nonEmpty(_ name: String) -> String? {
        guard let v = environment[name], !v.isEmpty else { return nil }
        return v
    }

    private var home: String { environment["HOME"] ?? NSHomeDirectory() }

    /// Path of the shared credentials file.
    public var credentialsFile: String { nonEmpty("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials" }
    /// Path of the shared config file.
    public var configFile: String { nonEmpty("AWS_CONFIG_FILE") ?? home + "/.aws/config" }

    /// The region: `AWS_REGION`, `AWS_DEFAULT_REGION`, then the profile's `region` in the config file.
    public func region() -> String? {
        if let r = nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") { return r }
        return configSection()?["region"]
    }

    private func configSection() -> [String: String]? {
        guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else { return nil }
        let ini = INI.parse(text)
        let name = profileName
        return ini[name == "default" ? "default" : "profile \(name)"] ?? (name == "default" ? nil : ini[name])
    }

    /// Resolves credentials; throws `.credentials` naming where it looked.
    public func resolve() async throws(PublishError) -> AWSCredentials {
        // 1. Environment (unless a profile was named explicitly on the command line).
        if profile == nil, let id = nonEmpty("AWS_ACCESS_KEY_ID"), let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") {
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"))
        }
        // 2. Shared files: credentials file section [name], then config file [profile name].
        let name = profileName
        var sections: [[String: String]] = []
        if let text = try? String(contentsOfFile: credentialsFile, encoding: .utf8), let s = INI.parse(text)[name] {
            sections.append(s)
        }
        if let s = configSection() { sections.append(s) }
        for s in sections {
            if let id = s["aws_access_key_id"], let secret = s["aws_secret_access_key"], !id.isEmpty, !secret.isEmpty {
                return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: s["aws_session_token"])
            }
        }
        if profile != nil {
            throw PublishError(.credentials, "profile '\(name)' has no aws_access_key_id/aws_secret_access_key in "
                               + "\(credentialsFile) or \(configFile)")
        }
        // 3. Container credentials endpoint (ECS / EKS pod identity).
        if let full = nonEmpty("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            ?? nonEmpty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").map({ "http://169.254.170.2" + $0 }) {
            var headers: [(String, String)] = []
            if let token = nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN") { headers.append(("Authorization", token)) }
            else if let file = nonEmpty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
                    let token = try? String(contentsOfFile: file, encoding: .utf8) {
                headers.append(("Authorization", token.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            let body = try await Self.fetch("GET", full, headers: headers, what: "container credentials endpoint")
            return try Self.parseJSONCredentials(body, source: "container credentials endpoint")
        }
        // 4. EC2 instance metadata, IMDSv2 (token first).
        if imdsEnabled {
            let base = imdsEndpoint
            let token = String(decoding: try await Self.fetch(
                "PUT", base + "/latest/api/token", headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
                what: "instance metadata (IMDSv2 token)"), as: UTF8.self)
            let auth = [("X-aws-ec2-metadata-token", token)]
            let roles = String(decoding: try await Self.fetch(
                "GET", base + "/latest/meta-data/iam/security-credentials/", headers: auth,
                what: "instance metadata (role)"), as: UTF8.self)
            guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
                throw PublishError(.credentials, "instance metadata lists no IAM role")
            }
            let body = try await Self.fetch("GET", base + "/latest/meta-data/iam/security-credentials/" + role,
                                            headers: auth, what: "instance metadata (credentials)")
            return try Self.parseJSONCredentials(body, source: "instance metadata")
        }
        throw PublishError(.credentials, "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or profile "
                           + "'\(name)' in \(credentialsFile), or run where a container or instance role provides them")
    }

    static func parseJSONCredentials(_ body: [UInt8], source: String) throws(PublishError) -> AWSCredentials {
        struct Answer: Decodable {
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var Token: String?
            var SessionToken: String?
        }
        guard let a = try? JSONDecoder().decode(Answer.self, from: Data(body)), let id = a.AccessKeyId,
              let secret = a.SecretAccessKey, !id.isEmpty, !secret.isEmpty else {
            throw PublishError(.credentials, "\(source) answered without AccessKeyId/SecretAccessKey")
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: a.Token ?? a.SessionToken)
    }

    /// One short HTTP exchange with a metadata endpoint (1 s connect, 5 s total); the body on 200.
    static func fetch(_ method: String, _ url: String, headers: [(String, String)],
                      what: String) async throws(PublishError) -> [UInt8] {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(1), read: .seconds(5)), connectionPool: .init()))
        do {
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            for (n, v) in headers { request.headers.add(name: n, value: v) }
            let response = try await client.execute(request, timeout: .seconds(5))
            var body = try await response.body.collect(upTo: 1 << 20)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            try? await client.shutdown()
            guard response.status == .ok else {
                throw PublishError(.credentials, "\(what) answered HTTP \(response.status.code)")
            }
            return bytes
        } catch let e as PublishError {
            try? await client.shutdown()
            throw e
        } catch {
            try? await client.shutdown()
            throw PublishError(.credentials, "\(what) unreachable: \(S3Client.describe(error))")
        }
    }
}

/// The AWS shared-file INI dialect: `[section]`, `key = value`, `#`/`;` comments; names trimmed.
enum INI {
    static func parse(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                if out[name] == nil { out[name] = [:] }
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            out[section, default: [:]][key] = value
        }
        return out
    }
}
