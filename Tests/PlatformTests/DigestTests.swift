import Platform
import SystemPackage
import Testing

@Suite struct DigestTests {
    static let oneMiBZeros = [UInt8](repeating: 0, count: 1 << 20)

    @Test func sha256Vectors() {
        #expect(Digests.hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digests.hex(SHA256.hash(Array("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digests.hex(SHA256.hash(Self.oneMiBZeros))
            == "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58")
    }

    @Test func md5Vectors() {
        #expect(Digests.hex(MD5.hash([])) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(Digests.hex(MD5.hash(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Digests.hex(MD5.hash(Self.oneMiBZeros)) == "b6d81b360a5672d80c27430f39153e2c")
        #expect(Digests.base64(MD5.hash([])) == "1B2M2Y8AsgTpgAmY7PhCfg==")
        #expect(Digests.base64(MD5.hash(Array("abc".utf8))) == "kAFQmDzST7DWlj99KOF/cg==")
    }

    @Test func streamingInPiecesEqualsOneShot() {
        var sha = SHA256()
        var copy = sha
        sha.update(Array("a".utf8))
        copy.update(Array("x".utf8))  // a copy continues independently
        sha.update(Array("bc".utf8))
        #expect(Digests.hex(sha.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(copy.finalize() == SHA256.hash(Array("x".utf8)))
    }

    @Test func base64Padding() {
        #expect(Digests.base64([]) == "")
        #expect(Digests.base64(Array("f".utf8)) == "Zg==")
        #expect(Digests.base64(Array("fo".utf8)) == "Zm8=")
        #expect(Digests.base64(Array("foo".utf8)) == "Zm9v")
        #expect(Digests.base64(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Digests.base64([0xFF, 0xFE]) == "//4=")
    }

    @Test(arguments: [1000, 4096, 1 << 20, Digests.defaultChunkSize])
    func fileDigestsMatchVectors(chunkSize: Int) throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let zeros = try scratch.file("zeros", Self.oneMiBZeros)
        let d = try Digests.file(at: zeros, chunkSize: chunkSize)
        #expect(d.size == 1 << 20)
        #expect(Digests.hex(d.sha256) == "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58")
        #expect(Digests.hex(d.md5) == "b6d81b360a5672d80c27430f39153e2c")
        let empty = try Digests.file(at: try scratch.file("empty", []), chunkSize: chunkSize)
        #expect(empty.size == 0)
        #expect(Digests.hex(empty.md5) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func fileDigestOfMissingFileNamesOpen() throws {
        let error = #expect(throws: PlatformError.self) { try Digests.file(at: FilePath("/nonexistent/x")) }
        #expect(error?.function == "open")
        #expect(error?.errno == .noSuchFileOrDirectory)
    }
}
