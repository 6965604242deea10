import Foundation
import ISOBMFF
import Planning
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

/// Presentations made once from every `testmedia/` clip with the fast profile, shared by the tests.
actor EncodedTestMedia {
    static let shared = EncodedTestMedia()
    private var result: (out: URL, presentations: [Presentation])?

    func get() async throws -> (out: URL, presentations: [Presentation]) {
        if let result { return result }
        let out = try TestPaths.temporaryDirectory("e2e")
        let packager = try Packager(profile: .named("fast"))
        var made: [Presentation] = []
        for name in TestPaths.allTestMedia {
            made.append(try await packager.encode(source: URL(fileURLWithPath: TestPaths.testMedia(name)), into: out))
        }
        result = (out, made)
        return (out, made)
    }
}

/// Reads the `tfxd` time of the fragment whose `moof` starts at `moofOffset`.
func tfxdTime(in file: FileSource, moofOffset: Int64) throws -> Int64? {
    let range = try file.fragmentRange(moofOffset: moofOffset)
    return try tfxdTime(inFragment: file.read(at: range.lowerBound, count: Int(range.count)))
}

/// The tfxd time of a fragment's bytes (moof first, then mdat), decoded by our box reader.
func tfxdTime(inFragment bytes: [UInt8]) throws -> Int64? {
    let size = Int(bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    return try MoofBox.decode(Array(bytes.prefix(size))).trafs.first?.tfxd.map { Int64($0.time) }
}
