internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1
public import Protection

/// Fetches content keys from a SPEKE v2.0 key server (docs/format.md §12.9): one POST of the CPIX request
/// built by ``SPEKE``, the answer parsed for the video and audio keys. Every failure — unreachable server,
/// HTTP 4xx/5xx, a malformed document, a missing key — is one ``ProtectionError/keyServer(_:)`` line that
/// names the server and never a key.
public enum SPEKEKeyProvider {
    /// Keys for `contentID` from `url`; `timeout` bounds the whole exchange.
    public static func settings(url: String, contentID: String, licenseURL: String?,
                                timeoutSeconds: Int64 = 30) async throws(ProtectionError) -> ProtectionSettings {
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw .invalidSettings("--speke-url must be an http(s) URL")
        }
        guard !contentID.isEmpty, contentID.utf8.count <= 256 else {
            throw .invalidSettings("the SPEKE content ID must be 1 to 256 bytes")
        }
        let kids = SPEKE.keyIDs(contentID: contentID)
        let body = SPEKE.request(contentID: contentID, video: kids.video, audio: kids.audio)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(timeoutSeconds)),
            connectionPool: .init()))
        let result: Result<(UInt, [UInt8]), ProtectionError>
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/xml")
            request.headers.add(name: "X-Speke-Version", value: "2.0")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .seconds(timeoutSeconds))
            var buffer = try await response.body.collect(upTo: 4 << 20)
            result = .success((response.status.code, buffer.readBytes(length: buffer.readableBytes) ?? []))
        } catch {
            result = .failure(.keyServer("\(url) cannot be reached: \(String("\(error)".prefix(200)))"))
        }
        try? await client.shutdown()
        let (status, bytes) = try result.get()
        guard status == 200 else { throw .keyServer("\(url) answered HTTP \(status)") }
        let keys = try SPEKE.parseResponse(bytes, video: kids.video, audio: kids.audio)
        return try ProtectionSettings(video: keys.video, audio: keys.audio, licenseURL: licenseURL)
    }
}
