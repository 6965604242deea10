internal import Platform
import Foundation
import MediaCore
import SmoothManifest
import TestSupport
import Testing

@Suite struct GoldenTests {
    @Test func audioFragmentTimesMatchTheSheet() {
        #expect(Example46.audioFragments.map(\.time) == [0, 20_053_333, 40_106_667, 60_160_000, 80_213_333])
        #expect(Example46.audioFragments.map(\.duration) == [20_053_333, 20_053_334, 20_053_333, 20_053_333, 19_840_000])
    }

    @Test func serverManifestMatchesSheet46ByteForByte() throws {
        let built = try Example46.build()
        #expect(built.serverManifestFileName == "presentation.ism")
        try Golden.assertEqual(built.server.xml(), "presentation.ism")
    }

    @Test func clientManifestMatchesSheet46ByteForByte() throws {
        let built = try Example46.build()
        #expect(built.clientManifestFileName == "presentation.ismc")
        #expect(built.client.duration == 100_053_333)
        try Golden.assertEqual(built.client.xml(), "presentation.ismc")
    }

    @Test func version22Golden() throws {
        try Golden.assertEqual(try Example46.build(.init(version: .v2_2)).client.xml(), "presentation-v22.ismc")
    }

    /// The sheet's own text (attributes wrapped over several lines) reads back as the built model.
    @Test func sheetTextReadsAsTheBuiltModel() throws {
        let built = try Example46.build()
        #expect(try ClientManifest(xml: Golden.bytes("presentation.sheet.ismc")) == built.client)
        #expect(try ServerManifest(xml: Golden.bytes("presentation.ism")) == built.server)
    }

    /// docs/format.md §8 checks 5 and 7 on the example.
    @Test func selfChecks() throws {
        let built = try Example46.build()
        for q in built.client.streams[0].qualityLevels {
            let hex = Hex.upper(q.codecPrivateData)
            let parts = hex.components(separatedBy: "00000001")
            #expect(parts.count == 3 && parts[0].isEmpty)
            #expect(parts[1].hasPrefix("67") && parts[2].hasPrefix("68"))
            #expect(parts[1].dropFirst(2).prefix(6) == "64001F")   // avc1.64001F
        }
        for kind in [MediaKind.video, .audio] {
            let ism = Set(built.server.tracks.filter { $0.kind == kind }.map(\.systemBitrate))
            let ismc = Set(built.client.streams.filter { $0.type == kind }.flatMap(\.qualityLevels).map(\.bitrate))
            #expect(ism == ismc)
        }
        #expect(built.server.clientManifestRelativePath == built.clientManifestFileName)
    }
}
