import Foundation
import Platform
import SmoothManifest
import TestSupport
import Testing

@Suite struct ChecksumTests {
    static let vectors: [(String, String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "d41d8cd98f00b204e9800998ecf8427e"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "900150983cd24fb0d6963f7d28e17f72"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "8215ef0796a20bcaaae116d3876c664a"),
        ("The quick brown fox jumps over the lazy dog",
         "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592", "9e107d9d372bb6826bd81d3542a419d6"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "f371bc4a311f2b009eef952dd83ca80e2b60026c8e935592d0f9c308453c813e", "57edf4a22be3c955ac49da2e2107b67a"),
    ]

    @Test func standardVectors() {
        for (text, sha, md5) in Self.vectors {
            #expect(Hex.lower(SHA256.hash(Array(text.utf8))) == sha, "\(text)")
            #expect(Hex.lower(MD5.hash(Array(text.utf8))) == md5, "\(text)")
        }
    }

    @Test func millionA() {
        var sha = SHA256()
        var md5 = MD5()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 {
            sha.update(chunk)
            md5.update(chunk)
        }
        #expect(Hex.lower(sha.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(Hex.lower(md5.finalize()) == "7707d6ae4e027c70eea2a935c2296f21")
    }

    /// Any split of the input into `update` calls gives the one-shot digest (block-boundary handling).
    @Test func streamingSplitsAgree() {
        var rng = SplitMix64(state: 42)
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000] {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let (sha, md5) = (SHA256.hash(data), MD5.hash(data))
            for _ in 0..<8 {
                var s = SHA256(), m = MD5()
                var i = 0
                while i < data.count {
                    let n = Int.random(in: 0...min(70, data.count - i), using: &rng)
                    s.update(Array(data[i..<(i + n)]))
                    m.update(Array(data[i..<(i + n)]))
                    i += n
                }
                #expect(s.finalize() == sha)
                #expect(m.finalize() == md5)
            }
        }
    }

    /// A multi-MB random file hashed in 1 MiB chunks agrees with `sha256sum` and `md5sum`.
    @Test func agreesWithCoreutilsOnARandomFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix64(state: 7)
        var bytes = [UInt8](repeating: 0, count: 5 * 1_048_576 + 12_345)
        bytes.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in words.indices { words[i] = rng.next() }
        }
        let file = dir.appendingPathComponent("random.bin")
        try Data(bytes).write(to: file)
        let digest = try Digests.file(atPath: file.path)
        #expect(digest.size == Int64(bytes.count))
        let sha = try run(["sha256sum", file.path])
        let md5 = try run(["md5sum", file.path])
        #expect(sha.status == 0 && md5.status == 0)
        #expect(sha.stdout.split(separator: " ").first.map(String.init) == Hex.lower(digest.sha256))
        #expect(md5.stdout.split(separator: " ").first.map(String.init) == Hex.lower(digest.md5))
    }

    /// A 16 MiB input given in one raw-buffer `update` (the path `FileDigest` takes for big reads) and in
    /// uneven array chunks gives the digests Python's hashlib gives for 16 MiB of 0xA5. (No speed is
    /// asserted: timings are not checked in tests; see docs/benchmarks.md.)
    @Test func largeSingleUpdateAgreesWithChunkedUpdatesAndKnownDigests() {
        let data = [UInt8](repeating: 0xA5, count: 16 << 20)
        var sha = SHA256()
        var md5 = MD5()
        data.withUnsafeBytes { sha.update($0); md5.update($0) }
        let (oneSha, oneMD5) = (Hex.lower(sha.finalize()), Hex.lower(md5.finalize()))
        #expect(oneSha == "69348f8a2ab1bcdf8d64752c92cb78a32faffadca3d8ae2b63e3e7a19a3e51fe")
        #expect(oneMD5 == "6f1dbbac8244fe970ff585f520738246")

        var chunkedSha = SHA256()
        var chunkedMD5 = MD5()
        var offset = 0
        var size = 1
        while offset < data.count {
            let n = min(size, data.count - offset)
            chunkedSha.update(Array(data[offset..<(offset + n)]))
            chunkedMD5.update(Array(data[offset..<(offset + n)]))
            offset += n
            size = size * 3 + 1   // 1, 4, 13, … crosses block boundaries at every phase
        }
        #expect(Hex.lower(chunkedSha.finalize()) == oneSha)
        #expect(Hex.lower(chunkedMD5.finalize()) == oneMD5)
    }
}
