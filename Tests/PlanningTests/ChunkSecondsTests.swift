@testable import Planning
import Testing

/// `chunk_seconds`: parsed and range-checked, defaulted, and kept out of the canonical description (a whole
/// encode's version must not depend on it; a split encode adds it to its version itself).
struct ChunkSecondsTests {
    static let ladder = "video:\n  rungs: [{ height: 360, bitrate: 700k }]\n"

    @Test func parsedDefaultedAndNotInTheCanonicalText() throws {
        let plain = try Profile.parse(yaml: Self.ladder, file: "t.yaml", name: "t")
        #expect(plain.chunkSeconds == 120)
        let sixty = try Profile.parse(yaml: "chunk_seconds: 60\n" + Self.ladder, file: "t.yaml", name: "t")
        #expect(sixty.chunkSeconds == 60)
        #expect(try Profile.parse(yaml: "chunk_seconds: 0\n" + Self.ladder, file: "t.yaml", name: "t").chunkSeconds == 0)
        #expect(try Profile.parse(yaml: "chunk_seconds: 7.5\n" + Self.ladder, file: "t.yaml", name: "t").chunkSeconds == 7.5)
        #expect(sixty.canonicalDescription == plain.canonicalDescription)
        #expect(!plain.canonicalDescription.contains("chunk"))
    }

    @Test(arguments: ["-1", "90000", "soon", "[1]", "0.5", "0.000000000000000001"])
    func outOfRangeOrNotANumberIsRefused(_ value: String) {
        #expect(throws: ProfileError.self) {
            try Profile.parse(yaml: "chunk_seconds: \(value)\n" + Self.ladder, file: "t.yaml", name: "t")
        }
    }
}
