import Foundation
import Planning
import SmoothPack
import Testing

/// The fixture's per-title presentation is what the player tests claim to cover: a capped-CRF ladder whose
/// manifests declare bitrates below the profile's.
struct PerTitleFixtureTests {
    @Test func fixtureHoldsACappedCRFLadder() async throws {
        let fx = try await Fixture.shared()
        let p = try #require(fx.presentations.first { $0.perTitle != nil })
        let decision = try #require(p.perTitle)
        #expect(decision.rungs.contains { $0.mode == .cappedCRF }, "\(decision.rungs)")
        let video = p.renditions.filter { $0.kind == .video }
        #expect(!video.isEmpty)
        for r in video {
            let row = try #require(decision.rungs.first { $0.width == r.width && $0.height == r.height && $0.mode != .merged })
            #expect(r.bitrate <= row.ceiling, "\(r.file): declares \(r.bitrate), the profile's ceiling is \(row.ceiling)")
        }
        #expect(video.contains { r in decision.rungs.contains { $0.mode == .cappedCRF && r.bitrate < $0.ceiling / 2 } })
    }
}
