import Foundation
import Protection
import Testing

/// The `--key-file` JSON (docs/format.md §12.8).
@Suite struct KeyFileTests {
    let v = #"{"kid": "00112233-4455-6677-8899-aabbccddeeff", "key": "000102030405060708090a0b0c0d0e0f"}"#
    let a = #"{"kid": "ffeeddccbbaa99887766554433221100", "key": "0f0e0d0c0b0a09080706050403020100"}"#

    func parse(_ json: String, url: String? = nil) throws -> ProtectionSettings {
        try KeyFile.parse(Data(json.utf8), name: "keys.json", licenseURL: url)
    }

    @Test func forms() throws {
        let all = try parse(#"{"all": \#(v), "la_url": "https://lic.example/a"}"#)
        #expect(all.keyIDs.count == 1 && all.licenseURL == "https://lic.example/a")
        let two = try parse(#"{"video": \#(v), "audio": \#(a)}"#, url: "https://cli.example/b")
        #expect(two.keyIDs.map(\.hex) == ["00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"])
        #expect(two.licenseURL == "https://cli.example/b")
        #expect(try parse(#"{"video": \#(v)}"#).keys.count == 1)
    }

    @Test func refusals() {
        let secret = "0f0e0d0c0b0a0908070605040302010"
        let cases: [(String, String)] = [
            ("[]", "not a JSON object"), ("{", "not valid JSON"), (#"{"audio": \#(a)}"#, "give \"all\""),
            (#"{"all": \#(v), "video": \#(v)}"#, "cannot be combined"), (#"{"al": \#(v)}"#, "unknown field"),
            (#"{"all": {"kid": "00", "key": "00"}}"#, "KID must be 32 hex digits"),
            (#"{"all": {"kid": "00112233445566778899aabbccddeeff", "key": "\#(secret)Z"}}"#, "KEY must be 32 hex digits"),
            (#"{"all": \#(v), "la_url": 5}"#, "must be a string"), (#"{"all": \#(v), "la_url": "ftp://x"}"#, "http(s) URL"),
        ]
        for (json, expected) in cases {
            do {
                _ = try parse(json)
                Issue.record("accepted \(json)")
            } catch {
                #expect("\(error)".contains(expected), "\(json): \(error)")
                #expect(!"\(error)".contains(secret))
            }
        }
    }
}
