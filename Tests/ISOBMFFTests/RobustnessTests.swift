import ISOBMFF
import MediaCore
import Testing

/// The reader never crashes on damaged input: every truncation and a few thousand deterministic bit
/// flips of a small file give either a typed error or a valid parse.
@Suite struct RobustnessTests {
    /// Runs every reader entry point; each must succeed or throw MP4Error.
    static func exercise(_ bytes: [UInt8]) {
        let source = MemorySource(bytes)
        func typed(_ body: () throws -> Void) {
            do { try body() } catch { #expect(error is MP4Error, "untyped error \(error)") }
        }
        typed { _ = try BoxDump.render(source) }
        typed { _ = try RandomAccessIndex.load(from: source) }
        typed { _ = try MovieReader.tracks(in: source) }
        typed { _ = try FragmentIndex.read(from: source) }
        typed {
            var r = ByteReader(bytes)
            while let (h, b) = try r.nextBox() {
                switch h.type {
                case "moov": _ = try MoovBox.decode(header: h, body: b)
                case "moof": _ = try MoofBox.decode(header: h, body: b)
                case "mfra": _ = try MfraBox.decode(header: h, body: b)
                case "ftyp": _ = try FtypBox.decode(header: h, body: b)
                default: break
                }
            }
        }
        _ = IsmvChecker.check(source)
    }

    static let files: [[UInt8]] = [
        try! Synthetic.ismv(frames: 12, gop: 6).bytes, try! Synthetic.isma(frames: 6, perFragment: 3).bytes,
    ]

    @Test(arguments: [0, 1])
    func everyTruncation(_ which: Int) {
        let bytes = Self.files[which]
        for n in 0..<bytes.count { Self.exercise(Array(bytes[0..<n])) }
    }

    @Test(arguments: [0, 1])
    func randomBitFlips(_ which: Int) {
        let bytes = Self.files[which]
        var rng = SplitMix64(seed: 0x1517_0000 + UInt64(which))
        for _ in 0..<1500 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let bit = Int.random(in: 0..<(bytes.count * 8), using: &rng)
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            }
            Self.exercise(damaged)
        }
    }

    @Test func checkerFlagsDamage() throws {
        let (bytes, index) = try Synthetic.ismv(frames: 20, gop: 10)
        // tfxd time of the second fragment:
        // moof header + mfhd(16) + traf header(8) + tfhd(20) + tfdt(20) + trun + uuid header(24) + version/flags(4)
        let frag = index.fragments[1]
        var damaged = bytes
        let moof = try MoofBox.decode(Array(bytes[Int(frag.moofOffset)..<Int(frag.moofOffset + frag.moofSize)]))
        let trunSize = try moof.trafs[0].truns[0].encoded().count
        let tfxdTime = Int(frag.moofOffset) + 8 + 16 + 8 + 20 + 20 + trunSize + 24 + 4
        damaged[tfxdTime + 7] ^= 1
        let violations = IsmvChecker.check(MemorySource(damaged))
        #expect(violations.contains { $0.message.contains("tfxd time") && $0.offset == frag.moofOffset })
        #expect(!violations.contains { $0.message.contains("tfdt") })
        // tfdt baseMediaDecodeTime (after its header and version/flags) of the second fragment
        var badTfdt = bytes
        let tfdtTime = Int(frag.moofOffset) + 8 + 16 + 8 + 20 + 8 + 4
        #expect(Array(bytes[(tfdtTime - 12)..<(tfdtTime - 4)]) == [0, 0, 0, 20] + Array("tfdt".utf8))
        #expect(bytes[tfdtTime - 4] == 1)  // version 1
        badTfdt[tfdtTime + 7] ^= 1
        let tfdtViolations = IsmvChecker.check(MemorySource(badTfdt))
        #expect(tfdtViolations.contains { $0.message.contains("tfdt time") && $0.offset == frag.moofOffset })
        #expect(!tfdtViolations.contains { $0.message.contains("tfxd") })
        // first sample flags of the second fragment made non-sync
        var nonSync = bytes
        let firstFlags = Int(frag.moofOffset) + 8 + 16 + 8 + 20 + 20 + 8 + 4 + 4 + 4
        nonSync[firstFlags + 1] = 0x01
        #expect(IsmvChecker.check(MemorySource(nonSync)).contains { $0.message.contains("sync") })
        // an IDR turned into a non-IDR slice
        var noIDR = bytes
        let sample = Int(frag.moofOffset + frag.moofSize) + 8
        #expect(noIDR[sample + 4] & 0x1F == 6 && noIDR[sample + 8 + 4] & 0x1F == 5)
        noIDR[sample + 8 + 4] = 0x61
        #expect(IsmvChecker.check(MemorySource(noIDR)).contains { $0.message.contains("IDR") })
        // mfro size changed
        var badMfro = bytes
        badMfro[bytes.count - 1] ^= 0x04
        #expect(!IsmvChecker.check(MemorySource(badMfro)).isEmpty)
    }

    @Test func checkerFlagsForeignLayouts() throws {
        // a moof with two trafs and a base-data-offset, hand-built
        let (bytes, index) = try Synthetic.isma(frames: 4, perFragment: 4)
        let frag = index.fragments[0]
        var moof = try MoofBox.decode(Array(bytes[Int(frag.moofOffset)..<Int(frag.moofOffset + frag.moofSize)]))
        moof.trafs[0].tfhd.baseDataOffset = 0
        moof.trafs.append(moof.trafs[0])
        let rebuilt =
            Array(bytes[0..<Int(frag.moofOffset)]) + (try moof.encoded())
            + Array(bytes[Int(frag.moofOffset + frag.moofSize)...])
        let violations = IsmvChecker.check(MemorySource(rebuilt))
        #expect(violations.contains { $0.message.contains("2 trafs") })
        #expect(violations.contains { $0.message.contains("tfra") })  // offsets moved: the tfra no longer fits
    }
}
