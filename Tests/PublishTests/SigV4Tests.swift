import Foundation
import Testing
import Platform
@testable import Publish
import SmoothManifest

/// One botocore-generated case of `Vectors/sigv4-vectors.json` (see `make-sigv4-vectors.py`).
struct SigV4Vector: Decodable {
    var name: String
    var method: String
    var endpoint: String
    var bucket: String?
    var key: String
    var query: [[String]]
    var headers: [[String]]
    var body: String
    var unsignedPayload: Bool
    var region: String
    var timestamp: String
    var accessKeyID: String
    var secretAccessKey: String
    var sessionToken: String?
    var payloadHash: String
    var canonicalRequest: String
    var stringToSign: String
    var signature: String
    var authorization: String
}

struct SigV4Vectors: Decodable {
    var generator: String
    var cases: [SigV4Vector]

    static func load() throws -> SigV4Vectors {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/sigv4-vectors.json")
        return try JSONDecoder().decode(SigV4Vectors.self, from: Data(contentsOf: url))
    }
}

@Suite struct SigV4Tests {
    @Test func botocoreVectors() throws {
        let vectors = try SigV4Vectors.load()
        #expect(vectors.cases.count >= 15)
        for v in vectors.cases {
            let endpoint = try Endpoint(parsing: v.endpoint)
            let path = "/" + (v.bucket.map { $0 + "/" } ?? "") + v.key
            let request = SignableRequest(method: v.method, host: endpoint.hostHeader, path: path,
                                          query: v.query.map { ($0[0], $0[1]) }, headers: v.headers.map { ($0[0], $0[1]) })
            let payload = v.unsignedPayload ? SigV4.unsignedPayload : Hex.lower(SHA256.hash(Array(v.body.utf8)))
            #expect(payload == v.payloadHash, "\(v.name)")
            let signer = SigV4(credentials: AWSCredentials(accessKeyID: v.accessKeyID, secretAccessKey: v.secretAccessKey,
                                                           sessionToken: v.sessionToken), region: v.region)
            let result = signer.sign(request, timestamp: v.timestamp, payloadHash: payload)
            #expect(result.canonicalRequest == v.canonicalRequest, "\(v.name)")
            #expect(result.stringToSign == v.stringToSign, "\(v.name)")
            #expect(result.signature == v.signature, "\(v.name)")
            #expect(result.authorization == v.authorization, "\(v.name)")
        }
    }

    @Test func vectorsCoverTheHardCases() throws {
        let cases = try SigV4Vectors.load().cases
        let keys = cases.map(\.key).joined()
        for needle in [" ", "=", "+", "(", ")", "é", "日", "~", "%"] { #expect(keys.contains(needle), "\(needle)") }
        #expect(cases.contains { $0.unsignedPayload })
        #expect(cases.contains { $0.sessionToken != nil })
        let params = Set(cases.flatMap { $0.query.map { $0[0] } })
        for p in ["uploadId", "partNumber", "uploads", "list-type", "prefix", "continuation-token", "key-marker"] {
            #expect(params.contains(p), "\(p)")
        }
    }

    @Test func secretNeverInDescriptionOrResult() {
        let creds = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s3cr3t-value", sessionToken: "tok3n-value")
        #expect(!creds.description.contains("s3cr3t"))
        #expect(!"\(creds)".contains("tok3n"))
        let r = SigV4(credentials: creds, region: "us-east-1")
            .sign(SignableRequest(method: "GET", host: "h", path: "/k"), timestamp: "20240101T000000Z",
                  payloadHash: SigV4.emptyPayloadHash)
        #expect(!r.canonicalRequest.contains("s3cr3t") && !r.authorization.contains("s3cr3t"))
    }

    @Test func timestamps() {
        #expect(SigV4.timestamp(unixSeconds: 0) == "19700101T000000Z")
        #expect(SigV4.timestamp(unixSeconds: 1_369_353_600) == "20130524T000000Z")
        #expect(SigV4.timestamp(unixSeconds: 1_735_689_599) == "20241231T235959Z")
        #expect(SigV4.timestamp(unixSeconds: 951_782_400) == "20000229T000000Z")
    }

    @Test func hmacRFC4231() {
        // RFC 4231 test case 2 and 6 (key longer than the block).
        #expect(Hex.lower(HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Hex.lower(HMAC.sha256(key: [UInt8](repeating: 0xAA, count: 131),
                                      message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
            == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func encodedTarget() {
        let r = SignableRequest(method: "PUT", host: "h", path: "/b/a b+c", query: [("uploadId", "x/y"), ("partNumber", "2")])
        #expect(r.encodedTarget == "/b/a%20b%2Bc?partNumber=2&uploadId=x%2Fy")
    }
}

@Suite struct XMLTextTests {
    @Test func entities() {
        #expect(XMLText.decode("&#34;abc&#34; &quot;x&quot; &#x22;y&#X22; &lt;&amp;&gt; &apos;") == "\"abc\" \"x\" \"y\" <&> '")
        #expect(XMLText.decode("a & b &unknown; &#zz;") == "a & b &unknown; &#zz;")
        #expect(XMLText.first("ETag", in: Array("<Part><ETag>&#34;e1&#34;</ETag></Part>".utf8)) == "\"e1\"")
    }

    func response(_ status: Int, _ body: String) -> S3Response {
        S3Response(status: status, headers: [:], body: Array(body.utf8), attempts: 1)
    }

    @Test func errorCodeOnlyFromErrorDocuments() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>a &amp; b</Message></Error>"
        #expect(response(503, doc).errorCode == "SlowDown")
        #expect(response(503, doc).errorMessage == "a & b")
        // CompleteMultipartUpload may answer 200 with an error document.
        #expect(response(200, "\r\n  " + doc).errorCode == "SlowDown")
        #expect(response(400, "<Error xmlns=\"x\"><Code>BadDigest</Code></Error>").errorCode == "BadDigest")
        #expect(response(400, "<Error><Code>InvalidPart</Code></Error>").isErrorDocument)
        // An object or a listing that merely contains the words is not an error.
        #expect(response(200, "<ListPartsResult><Code>x</Code></ListPartsResult>").errorCode == nil)
        #expect(response(200, "some object bytes <Error><Code>SlowDown</Code></Error>").errorCode == nil)
        #expect(response(200, "<Errors><Code>SlowDown</Code></Errors>").errorCode == nil)
        #expect(response(200, "<?xml never closed <Error><Code>SlowDown</Code></Error>").errorCode == nil)
        #expect(response(200, "").errorCode == nil && response(200, "<Error").errorCode == nil)
        #expect(!S3Client.isRetryable(response(200, "binary <Error><Code>SlowDown</Code></Error>"), method: "POST"))
        #expect(S3Client.isRetryable(response(400, "<Error><Code>RequestTimeTooSkewed</Code></Error>"), method: "PUT"))
        // CompleteMultipartUpload (POST) answered 200 with an error document is retried; an object fetched with a
        // GET that happens to be such a document is not.
        #expect(S3Client.isRetryable(response(200, doc), method: "POST"))
        #expect(!S3Client.isRetryable(response(200, doc), method: "GET"))
        #expect(!S3Client.isRetryable(response(206, doc), method: "GET"))
        #expect(S3Client.isRetryable(response(503, doc), method: "GET"))
    }
}
