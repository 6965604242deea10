import Foundation
import Planning
import Synchronization
import TestSupport
import Testing
import Transcode

/// The same source and profile give the same bytes, however loaded the machine is and however many
/// transcodes run at once (issue 11 §5: x264's frame threads with VBV made rate control depend on timing).
@Suite struct DeterminismTests {
    /// Two VBV-constrained rungs, so rate control runs for each and the rungs encode side by side.
    static let profileYAML = """
        fragment_duration: 2
        video:
          codec: h264
          preset: veryfast
          profile: high
          bframes: 3
          maxrate_factor: 1.5
          bufsize_factor: 2
          rungs:
            - { height: 360, bitrate: 700k }
            - { height: 270, bitrate: 300k }
        audio:
          codec: aac
          sample_rate: 48000
          channels: 2
          bitrate: 96k
        """

    /// Every rendition's elementary stream (all sample bytes, in order), keyed by rendition label.
    static func encode(_ path: String, profile: Profile, into dir: URL) throws -> [String: Data] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let (_, _, sinks, _) = try transcode(path, profile: profile, writeStreams: dir)
        var streams: [String: Data] = [:]
        for (rendition, _) in sinks {
            let ext = rendition.isVideo ? "h264" : "aac"
            streams[rendition.label] = try Data(contentsOf: dir.appendingPathComponent("\(rendition.label).\(ext)"))
        }
        return streams
    }

    /// The rotated clip (a 270x480 rung: width not a multiple of 16) differed in one process while libx264 used its
    /// AVX-512 code on CPUs that have it (see `Encoder.x264InstructionSets`); the anamorphic clip is rescaled.
    /// The cases of this test run side by side, so each clip also encodes while the others do.
    @Test(arguments: ["bars-25fps-stereo.mp4", "phone-portrait-rotated.mp4", "pal-4x3-anamorphic.mp4"])
    func concurrentTranscodesUnderLoadGiveIdenticalBytes(clip: String) throws {
        let profile = try Profile.parse(yaml: Self.profileYAML, file: "determinism.yaml", name: "determinism")
        let path = TestPaths.testMedia(clip)
        let root = try TestPaths.temporaryDirectory("determinism")
        defer { try? FileManager.default.removeItem(at: root) }

        // A reference encode on its own.
        let reference = try Self.encode(path, profile: profile, into: root.appendingPathComponent("alone"))
        #expect(reference.count >= 2, "video rungs and audio: \(reference.keys.sorted())")
        #expect(reference.values.allSatisfy { !$0.isEmpty })

        // Then three at once while every core also runs a busy loop.
        let busy = Atomic<Bool>(true)
        let spun = Atomic<UInt64>(0)
        let spinners = ProcessInfo.processInfo.activeProcessorCount
        let stopped = DispatchGroup()
        for _ in 0..<spinners {
            stopped.enter()
            Thread.detachNewThread {
                var x: UInt64 = 0
                while busy.load(ordering: .relaxed) { x = x &* 6364136223846793005 &+ 1442695040888963407 }
                spun.store(x, ordering: .relaxed)   // the loop's result is used, so it is not optimized away
                stopped.leave()
            }
        }
        let results = Mutex<[Int: Result<[String: Data], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: 3) { run in
            let outcome = Result { try Self.encode(path, profile: profile, into: root.appendingPathComponent("run\(run)")) }
            results.withLock { $0[run] = outcome }
        }
        busy.store(false, ordering: .relaxed)
        stopped.wait()

        let runs = results.withLock { $0 }
        #expect(runs.count == 3)
        for (run, outcome) in runs.sorted(by: { $0.key < $1.key }) {
            let streams = try outcome.get()
            #expect(streams.keys.sorted() == reference.keys.sorted())
            for (label, bytes) in reference.sorted(by: { $0.key < $1.key }) {
                let other = streams[label] ?? Data()
                let a = [UInt8](bytes), b = [UInt8](other)
                let firstDifference = a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
                // A Bool, not `other == bytes` inside #expect: on failure Swift Testing would diff the two Data
                // values element by element (Myers), which takes minutes for a few hundred kilobytes.
                let same = other == bytes
                #expect(same,
                        "\(clip) run \(run), \(label): \(other.count) vs \(bytes.count) bytes, first difference at byte \(firstDifference)")
            }
        }
    }
}
