import Foundation
import ISOBMFF
import MediaCore
import Testing

@Suite struct FragmenterTests {
    @Test func videoCutsAtEverySyncSampleByDefault() throws {
        let (bytes, index) = try Synthetic.ismv(frames: 25, gop: 10)
        #expect(index.fragments.map(\.sampleCount) == [10, 10, 5])
        #expect(index.fragments.map(\.time) == [0, 4_000_000, 8_000_000])
        #expect(index.fragments.map(\.duration) == [4_000_000, 4_000_000, 2_000_000])
        #expect(index.totalBytes == Int64(bytes.count))
        #expect(index.trackID == 1)
        #expect(IsmvChecker.check(MemorySource(bytes)) == [])
    }

    @Test func videoMinimumDurationJoinsGops() throws {
        let sink = MemorySink()
        let f = try Fragmenter(
            sink: sink, trackID: 1, codec: .video(Synthetic.videoConfig()),
            policy: .video(minimumDuration: 6_000_000))
        try f.append(contentsOf: Synthetic.video(frames: 50, gop: 10))
        let index = try f.finish()
        #expect(index.fragments.map(\.sampleCount) == [20, 20, 10])
        #expect(IsmvChecker.check(MemorySource(sink.bytes)) == [])
    }

    @Test func audioFramesPerFragment() throws {
        let (bytes, index) = try Synthetic.isma(frames: 10, perFragment: 4)
        #expect(index.fragments.map(\.sampleCount) == [4, 4, 2])
        let unit = Rational(1024, 48000)
        #expect(index.fragments.map(\.time) == [0, 4, 8].map { Clock.time(ofUnit: $0, unitDuration: unit) })
        #expect(index.duration == Clock.time(ofUnit: 10, unitDuration: unit))
        #expect(IsmvChecker.check(MemorySource(bytes)) == [])
    }

    @Test func framesPerFragmentHelper() {
        #expect(FragmentationPolicy.audioFramesPerFragment(targetDuration: 20_000_000, sampleRate: 48000) == 94)
        #expect(FragmentationPolicy.audioFramesPerFragment(targetDuration: 20_000_000, sampleRate: 44100) == 86)
        #expect(FragmentationPolicy.audioFramesPerFragment(targetDuration: 40_000_000, sampleRate: 48000) == 188)
        #expect(FragmentationPolicy.audioFramesPerFragment(targetDuration: 1, sampleRate: 48000) == 1)
        #expect(FragmentationPolicy.default(for: .audio(Synthetic.audioConfig())) == .audio(framesPerFragment: 94))
    }

    @Test func dataOffsetIsMoofSizePlus8AndIndexMatchesFile() throws {
        let (bytes, index) = try Synthetic.ismv()
        let source = MemorySource(bytes)
        for frag in index.fragments {
            let moof = try MoofBox.decode(
                try source.read(at: frag.moofOffset, count: Int(frag.moofSize)),
                fileOffset: frag.moofOffset)
            let trun = moof.trafs[0].truns[0]
            #expect(Int64(trun.dataOffset ?? 0) == frag.moofSize + 8)
            #expect(Int64(trun.totalDuration) == frag.duration)
            #expect(moof.trafs[0].tfxd == TfxdBox(time: UInt64(frag.time), duration: UInt64(frag.duration)))
            #expect(moof.trafs[0].tfdt == TfdtBox(baseMediaDecodeTime: UInt64(frag.time)))
            #expect(try source.fragmentRange(moofOffset: frag.moofOffset) == frag.byteRange)
        }
        #expect(try FragmentIndex.read(from: source) == index)
    }

    /// Without a tfdt a traf fails the checker (DASH/HLS players need it); a version-0 tfdt reads back.
    @Test func tfdtIsRequiredAndReadsBothVersions() throws {
        let (bytes, index) = try Synthetic.isma(frames: 8, perFragment: 4)
        let frag = index.fragments[1]
        var moof = try MoofBox.decode(Array(bytes[Int(frag.moofOffset)..<Int(frag.moofOffset + frag.moofSize)]))
        #expect(moof.trafs[0].tfdt?.baseMediaDecodeTime == UInt64(frag.time))
        moof.trafs[0].tfdt = nil
        moof.trafs[0].truns[0].dataOffset = Int32(try moof.encoded().count + 8)
        let rebuilt =
            Array(bytes[0..<Int(frag.moofOffset)]) + (try moof.encoded())
            + Array(bytes[Int(frag.moofOffset + frag.moofSize)...])
        #expect(IsmvChecker.check(MemorySource(rebuilt)).contains { $0.message.contains("traf has no tfdt") })
        var w = ByteWriter(capacity: 16)
        try w.fullBox("tfdt") { w in
            w.write(UInt32(1234))
            return VersionFlags(version: 0, flags: 0)
        }
        #expect(try TfdtBox.decode(w.bytes) == TfdtBox(baseMediaDecodeTime: 1234))
        #expect(try TfdtBox(baseMediaDecodeTime: 1 << 40).encoded().count == 20)
    }

    @Test func videoTrunCarriesSignedOffsetsAndFirstSampleFlags() throws {
        let (bytes, index) = try Synthetic.ismv(frames: 10, gop: 10, bFrames: true)
        let frag = index.fragments[0]
        let moof = try MoofBox.decode(Array(bytes[Int(frag.moofOffset)..<Int(frag.moofOffset + frag.moofSize)]))
        let trun = moof.trafs[0].truns[0]
        #expect(trun.firstSampleFlags == 0x0200_0000)
        #expect(moof.trafs[0].tfhd.defaultSampleFlags == 0x0101_0000)
        #expect(
            trun.samples.map(\.compositionOffset) == [
                0, 800_000, -400_000, -400_000, 800_000, -400_000,
                -400_000, 800_000, -400_000, -400_000,
            ])
        #expect(
            Array(bytes[Int(frag.moofOffset) + 8 + 16 + 8 + 20 + 20 + 8..<Int(frag.moofOffset) + 8 + 16 + 8 + 20 + 20 + 12])
                == [1, 0, 0x0B, 0x05])  // after tfhd(20) and tfdt(20): trun version 1, flags 0xB05
    }

    @Test func fileSinkWritesTheSameBytesAsMemory() throws {
        let path = "/tmp/isobmff-test-\(UInt64.random(in: 0...UInt64.max)).ismv"
        let sink = try FileSink(path: path, bufferSize: 64)  // tiny buffer: exercises both write paths
        let f = try Fragmenter(sink: sink, trackID: 1, codec: .video(Synthetic.videoConfig()))
        try f.append(contentsOf: Synthetic.video(frames: 30, gop: 10, payload: 100))
        let index = try f.finish()
        try sink.close()
        let file = try FileSource(path: path)
        let memory = MemorySink()
        let g = try Fragmenter(sink: memory, trackID: 1, codec: .video(Synthetic.videoConfig()))
        try g.append(contentsOf: Synthetic.video(frames: 30, gop: 10, payload: 100))
        #expect(try g.finish() == index)
        #expect(try file.read(at: 0, count: Int(file.size)) == memory.bytes)
        #expect(IsmvChecker.check(path: path) == [])
        _ = unlink(path)
    }

    // MARK: typed errors

    @Test func refusesVideoStartingWithNonSyncSample() throws {
        let f = try Fragmenter(sink: MemorySink(), trackID: 1, codec: .video(Synthetic.videoConfig()))
        var s = Synthetic.video(frames: 2, gop: 10)[1]
        s.decodeTime = 0
        #expect(throws: FragmenterError.fragmentStartsWithNonSyncSample(sampleIndex: 0, decodeTime: 0)) {
            try f.append(s)
        }
    }

    @Test func refusesGapsAndBadDurations() throws {
        let f = try Fragmenter(sink: MemorySink(), trackID: 2, codec: .audio(Synthetic.audioConfig()))
        var samples = Synthetic.audio(frames: 3)
        try f.append(samples[0])
        samples[1].decodeTime += 1
        #expect(
            throws: FragmenterError.nonContiguousDecodeTime(
                sampleIndex: 1, expected: samples[0].duration,
                found: samples[0].duration + 1)
        ) {
            try f.append(samples[1])
        }
        samples[1].decodeTime -= 1
        var zero = samples[1]
        zero.duration = 0
        #expect(throws: FragmenterError.nonPositiveDuration(sampleIndex: 1, duration: 0)) { try f.append(zero) }
        var empty = samples[1]
        empty.data = []
        #expect(throws: FragmenterError.emptySample(sampleIndex: 1)) { try f.append(empty) }
        try f.append(samples[1])  // state unchanged by the refused samples
        _ = try f.finish()
        #expect(throws: FragmenterError.alreadyFinished) { try f.append(samples[2]) }
    }

    @Test func refusesAnnexBAndHugeOffsets() throws {
        let f = try Fragmenter(sink: MemorySink(), trackID: 1, codec: .video(Synthetic.videoConfig()))
        var s = Synthetic.video(frames: 1, gop: 10)[0]
        let good = s
        s.data = [0, 0, 0, 1, 0x65, 0x88, 0x84]
        #expect(throws: FragmenterError.self) { try f.append(s) }
        s = good
        s.presentationTime = Int64(Int32.max) + 1
        #expect(throws: FragmenterError.compositionOffsetOutOfRange(sampleIndex: 0, offset: Int64(Int32.max) + 1)) {
            try f.append(s)
        }
        var neg = good
        neg.decodeTime = -5
        neg.presentationTime = -5
        #expect(throws: FragmenterError.negativeStartTime(-5)) { try f.append(neg) }
    }

    @Test func refusesPolicyMismatchAndEmptyStreams() throws {
        #expect(throws: FragmenterError.self) {
            try Fragmenter(
                sink: MemorySink(), trackID: 1, codec: .video(Synthetic.videoConfig()),
                policy: .audio(framesPerFragment: 94))
        }
        #expect(throws: FragmenterError.self) {
            try Fragmenter(
                sink: MemorySink(), trackID: 2, codec: .audio(Synthetic.audioConfig()),
                policy: .audio(framesPerFragment: 0))
        }
        let f = try Fragmenter(sink: MemorySink(), trackID: 2, codec: .audio(Synthetic.audioConfig()))
        #expect(throws: FragmenterError.noSamples) { try f.finish() }
    }

    @Test func keepsAtMostOneFragmentBeforeWriting() throws {
        let sink = MemorySink()
        let f = try Fragmenter(sink: sink, trackID: 1, codec: .video(Synthetic.videoConfig()))
        let samples = Synthetic.video(frames: 30, gop: 10)
        try f.append(contentsOf: samples[0..<10])
        let afterFirstGop = sink.bytes.count
        try f.append(samples[10])  // the next IDR closes fragment 1, which is written at once
        #expect(sink.bytes.count > afterFirstGop)
        let audioSink = MemorySink()
        let a = try Fragmenter(
            sink: audioSink, trackID: 2, codec: .audio(Synthetic.audioConfig()),
            policy: .audio(framesPerFragment: 3))
        let audio = Synthetic.audio(frames: 3)
        try a.append(contentsOf: audio[0..<2])
        let before = audioSink.bytes.count
        try a.append(audio[2])  // an audio fragment is written as soon as it is full
        var written = ByteReader(Array(audioSink.bytes[before...]), fileOffset: Int64(before))
        #expect(try written.nextBox()?.header.type == "moof")
        #expect(try written.nextBox()?.header.bodySize == 3 * 7)
        #expect(written.isAtEnd)
    }
}
