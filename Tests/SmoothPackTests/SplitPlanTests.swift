import Foundation
import MediaCore
import TestSupport
import Testing
@testable import SmoothPack

/// The pure parts of split encodes: where chunks are cut, and the part file format the join reads.
@Suite struct SplitPlanTests {
    @Test func chunksAreCutOnTheFragmentGrid() {
        // 120 s in 2-s fragments of 50 frames, 4 chunks: 30 s each, the last open-ended.
        #expect(SplitPlan.spans(fragments: 60, count: 4, framesPerFragment: 50) == [
            ChunkSpan(start: 0, end: 750), ChunkSpan(start: 750, end: 1500), ChunkSpan(start: 1500, end: 2250),
            ChunkSpan(start: 2250, end: nil),
        ])
        // Uneven: 7 fragments in 3 chunks; every cut on a multiple of the fragment, none empty.
        let uneven = SplitPlan.spans(fragments: 7, count: 3, framesPerFragment: 48)
        #expect(uneven.map(\.start) == [0, 96, 240])
        #expect(uneven.allSatisfy { $0.start % 48 == 0 })
        // More chunks than fragments: no empty chunk.
        let tiny = SplitPlan.spans(fragments: 2, count: 5, framesPerFragment: 25)
        #expect(zip(tiny, tiny.dropFirst()).allSatisfy { $0.0.end == $0.1.start && $0.0.start < $0.1.start })
    }

    @Test func partFilesRoundTripAndRefuseTruncation() throws {
        let dir = try TestPaths.temporaryDirectory("part-file")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.part").path
        let config = CodecConfig.audio(AudioCodecConfig(audioSpecificConfig: [0x11, 0x90], sampleRate: 48000, channels: 2,
                                                        samplesPerFrame: 1024))
        let samples = (0..<5).map { i in
            EncodedSample(data: Array(repeating: UInt8(i), count: i * 7 + 1), decodeTime: Int64(i) * 213_333,
                          presentationTime: Int64(i) * 213_333 - 5, duration: 213_333, isSync: i % 2 == 0)
        }
        let writer = PartFile.Writer(path: path)
        try writer.start(config)
        for s in samples { try writer.append(s) }
        try writer.finish()

        let reader = try PartFile.Reader(path: path)
        #expect(reader.config == config)
        var read: [EncodedSample] = []
        while let s = try reader.next() { read.append(s) }
        #expect(read == samples)

        // Every cut short of the end record is refused, never read as a shorter part.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in [bytes.count - 1, bytes.count - 9, bytes.count / 2, 20] {
            let short = dir.appendingPathComponent("short-\(cut).part")
            try bytes.prefix(cut).write(to: short)
            #expect(throws: (any Error).self) {
                let r = try PartFile.Reader(path: short.path)
                while try r.next() != nil {}
            }
        }
        // Bytes after the end record are refused too.
        let long = dir.appendingPathComponent("long.part")
        try (bytes + [0]).write(to: long)
        #expect(throws: (any Error).self) {
            let r = try PartFile.Reader(path: long.path)
            while try r.next() != nil {}
        }
    }
}
