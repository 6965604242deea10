import ArgumentParser
import TestSupport
import Testing
@testable import PackagerCLI

/// The CLI's protection options: bad combinations refused in one line, and a bad key never repeated.
@Suite struct ProtectionCLITests {
    static let secret = "fedcba9876543210fedcba987654321"

    func message(_ arguments: [String]) -> String? {
        do {
            _ = try PackageCommand.parseAsRoot(arguments)
            return nil
        } catch {
            return PackageCommand.message(for: error)
        }
    }

    @Test func refusals() {
        let base = [TestPaths.testMedia("bars-25fps-stereo.mp4"), "--out", "out"]
        let cases: [([String], String)] = [
            (["--key", "00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff"], "need --encrypt"),
            (["--encrypt"], "exactly one of"),
            (["--encrypt", "--key", "00112233445566778899aabbccddeeff:00112233445566778899aabbccddeeff",
              "--playready-test-key", "00112233445566778899aabbccddeeff"], "exactly one of"),
            (["--encrypt", "--key", "00112233445566778899aabbccddeeff:" + Self.secret + "Z"], "KEY must be 32 hex digits"),
            (["--encrypt", "--key", "0011:" + Self.secret + "0"], "KID must be 32 hex digits"),
            (["--encrypt", "--key-file", "/nonexistent/keys.json"], "key file"),
            (["--encrypt", "--speke-url", "ftp://x", "--speke-content-id", "a"], ""),
        ]
        for (extra, expected) in cases {
            let text = message(base + extra)
            if extra.contains("ftp://x") { continue }  // checked when the command runs (no network in validate)
            #expect(text?.contains(expected) == true, "\(extra): \(text ?? "accepted")")
            #expect(text?.contains(Self.secret) != true, "\(extra) echoed the key")
            #expect(text?.contains("\n") != true)
        }
    }

    @Test func testKeyAccepted() throws {
        let command = try PackageCommand.parseAsRoot([TestPaths.testMedia("bars-25fps-stereo.mp4"), "--out", "out", "--encrypt",
                                                      "--playready-test-key", "8ba94ade-6eb9-449d-b44f-a5beefaf43b0"])
        #expect(command is PackageCommand)
    }
}
