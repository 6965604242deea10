internal import MediaCore

/// Verifies a `.ismv`/`.isma` against the muxer self-checks of docs/format.md §8 (and the layout of §1):
/// 10 MHz mdhd, one traf and one trun per moof, no tfhd base-data-offset, tfxd present with
/// time == running time and duration == trun duration sum, tfdt present with time == running time, video fragments starting with a sync flag and
/// an IDR NAL unit, `data_offset == moof.size + 8`, mdat right after its moof and as large as its samples,
/// tfra entries pointing at real moofs with the right times, and `mfro` last with the `mfra` size.
/// Reading stops at the first structural error, which is reported as a violation.
public enum IsmvChecker {
    /// Every violation found; empty means the file passed.
    public static func check(_ source: some RandomAccessSource) -> [Violation] {
        var v: [Violation] = []
        do { try run(source, &v) } catch {
            v.append(Violation(offset: (error as? MP4Error)?.offset ?? -1, message: "\(error)"))
        }
        return v
    }

    /// Opens and checks a file; an unreadable file is one violation.
    public static func check(path: String) -> [Violation] {
        do { return check(try FileSource(path: path)) } catch { return [Violation(offset: 0, message: "\(error)")] }
    }

    private struct Track {
        var kind: TrackKind
        var trex: TrexBox?
        var runningTime: UInt64 = 0
        var moofs: [Int64: UInt64] = [:]  // moof offset → start time
    }

    /// The `nal_unit_type` of each length-prefixed NAL unit of the sample of `size` bytes at `start`, read header
    /// by header (5 bytes per unit) instead of the whole sample, so checking a long file reads little more than its
    /// moofs. Stops at the first malformed length (as ``NALUnits/types(_:)``) or after 256 units.
    private static func nalTypes(_ source: some RandomAccessSource, at start: Int64, size: Int64) throws -> [UInt8] {
        var out: [UInt8] = []
        var i: Int64 = 0
        while size - i >= 5, out.count < 256 {
            let h = try source.readBytes(at: start + i, count: 5)
            let length = Int64(h[0]) << 24 | Int64(h[1]) << 16 | Int64(h[2]) << 8 | Int64(h[3])
            guard length > 0, length <= size - i - 4 else { break }
            out.append(h[4] & 0x1F)
            i += 4 + length
        }
        return out
    }

    private static func run(_ source: some RandomAccessSource, _ v: inout [Violation]) throws {
        func fail(_ offset: Int64, _ message: String) { v.append(Violation(offset: offset, message: message)) }
        let boxes = try source.boundedTopLevelBoxes()
        guard let first = boxes.first else { return fail(0, "empty file") }
        if first.type != FtypBox.type { fail(first.offset, "first box is \(first.displayName), expected ftyp") }
        var tracks: [UInt32: Track] = [:]
        var lastSequence: UInt32?
        var sawMoov = false
        var mfra: (header: BoxHeader, box: MfraBox)?
        var index = 0
        while index < boxes.count {
            let h = boxes[index]
            defer { index += 1 }
            switch h.type {
            case FtypBox.type:
                let ftyp = try decode(FtypBox.self, h, source)
                if !ftyp.compatibleBrands.contains("piff") { fail(h.offset, "ftyp does not list the piff brand") }
            case MoovBox.type:
                if sawMoov { fail(h.offset, "second moov") }
                sawMoov = true
                let moov = try decode(MoovBox.self, h, source)
                for trak in moov.tracks {
                    let id = trak.tkhd.trackID
                    if trak.mdia.mdhd.timescale != UInt32(Clock.timescale) {
                        fail(h.offset, "track \(id): mdhd timescale \(trak.mdia.mdhd.timescale), expected 10000000")
                    }
                    let kind: TrackKind =
                        trak.mdia.hdlr.handlerType == "vide"
                        ? .video
                        : trak.mdia.hdlr.handlerType == "soun" ? .audio : .other
                    let trex = moov.mvex?.trex.first { $0.trackID == id }
                    if trex == nil { fail(h.offset, "track \(id): no trex in mvex") }
                    tracks[id] = Track(kind: kind, trex: trex)
                }
            case MoofBox.type:
                if !sawMoov { fail(h.offset, "moof before moov") }
                let mdat = index + 1 < boxes.count && boxes[index + 1].type == MdatBox.type ? boxes[index + 1] : nil
                if mdat == nil { fail(h.offset, "moof is not followed by an mdat") }
                try checkFragment(h, mdat: mdat, source, &tracks, &lastSequence, &v)
                if mdat != nil { index += 1 }
            case MdatBox.type:
                fail(h.offset, "mdat without a preceding moof")
            case MfraBox.type:
                mfra = (h, try decode(MfraBox.self, h, source))
                if h.end != source.size { fail(h.offset, "mfra is not the last box of the file") }
            case "free", "skip", "udta", "uuid":
                break
            default:
                fail(h.offset, "unexpected top-level box \(h.displayName)")
            }
        }
        guard let (mfraHeader, box) = mfra else { return fail(source.size, "no mfra at the end of the file") }
        if Int64(box.mfro.mfraSize) != mfraHeader.size {
            fail(mfraHeader.end - 16, "mfro says \(box.mfro.mfraSize) bytes, mfra is \(mfraHeader.size)")
        }
        for id in tracks.keys.sorted() where !box.tfras.contains(where: { $0.trackID == id }) {
            fail(mfraHeader.offset, "no tfra for track \(id)")
        }
        for tfra in box.tfras {
            guard let track = tracks[tfra.trackID] else {
                fail(mfraHeader.offset, "tfra for unknown track \(tfra.trackID)")
                continue
            }
            if tfra.entries.count != track.moofs.count {
                fail(
                    mfraHeader.offset,
                    "tfra of track \(tfra.trackID) has \(tfra.entries.count) entries for \(track.moofs.count) moofs")
            }
            for e in tfra.entries {
                guard let start = track.moofs[Int64(clamping: e.moofOffset)] else {
                    fail(
                        mfraHeader.offset,
                        "tfra entry (time \(e.time)) points at \(e.moofOffset), not a moof of track \(tfra.trackID)")
                    continue
                }
                if start != e.time {
                    fail(Int64(e.moofOffset), "tfra time \(e.time) but the fragment starts at \(start)")
                }
                if e.trafNumber != 1 || e.trunNumber != 1 || e.sampleNumber != 1 {
                    fail(Int64(e.moofOffset), "tfra entry is not traf 1 / trun 1 / sample 1")
                }
            }
        }
    }

    private static func checkFragment(
        _ h: BoxHeader, mdat: BoxHeader?, _ source: some RandomAccessSource,
        _ tracks: inout [UInt32: Track], _ lastSequence: inout UInt32?,
        _ v: inout [Violation]
    ) throws {
        func fail(_ message: String) { v.append(Violation(offset: h.offset, message: message)) }
        let moof = try decode(MoofBox.self, h, source)
        if let last = lastSequence, moof.mfhd.sequenceNumber <= last {
            fail("mfhd sequence \(moof.mfhd.sequenceNumber) does not increase (previous \(last))")
        }
        lastSequence = moof.mfhd.sequenceNumber
        guard moof.trafs.count == 1, let traf = moof.trafs.first else {
            return fail("moof has \(moof.trafs.count) trafs, expected 1")
        }
        let id = traf.tfhd.trackID
        guard var track = tracks[id] else { return fail("traf for track \(id), which the moov does not declare") }
        if traf.tfhd.baseDataOffset != nil { fail("tfhd carries a base-data-offset") }
        guard traf.truns.count == 1, let trun = traf.truns.first else {
            return fail("traf has \(traf.truns.count) truns, expected 1")
        }
        let defaults = (
            duration: traf.tfhd.defaultSampleDuration ?? track.trex?.defaultSampleDuration ?? 0,
            size: traf.tfhd.defaultSampleSize ?? track.trex?.defaultSampleSize ?? 0,
            flags: traf.tfhd.defaultSampleFlags ?? track.trex?.defaultSampleFlags ?? 0
        )
        let durations = trun.samples.map { UInt64($0.duration ?? defaults.duration) }
        let sizes = trun.samples.map { Int64($0.size ?? defaults.size) }
        let total = durations.reduce(0, +)
        if trun.samples.isEmpty { fail("trun has no samples") }
        if durations.contains(0) { fail("a sample has duration 0") }
        if trun.dataOffset.map(Int64.init) != h.size + 8 {
            let found = trun.dataOffset.map { "\($0)" } ?? "absent"
            fail("trun data_offset \(found), expected moof size + 8 = \(h.size + 8)")
        }
        if let mdat, sizes.reduce(0, +) != mdat.bodySize {
            v.append(
                Violation(
                    offset: mdat.offset,
                    message: "samples add up to \(sizes.reduce(0, +)) bytes, mdat holds \(mdat.bodySize)"))
        }
        if let tfxd = traf.tfxd {
            if tfxd.time != track.runningTime {
                fail("tfxd time \(tfxd.time), expected running time \(track.runningTime)")
            }
            if tfxd.duration != total { fail("tfxd duration \(tfxd.duration), trun durations add up to \(total)") }
        } else {
            fail("traf has no tfxd")
        }
        if let tfdt = traf.tfdt {
            if tfdt.baseMediaDecodeTime != track.runningTime {
                fail("tfdt time \(tfdt.baseMediaDecodeTime), expected running time \(track.runningTime)")
            }
        } else {
            fail("traf has no tfdt")
        }
        let protectedRanges = checkEncryption(traf, moof: moof, sizes: sizes, fail)
        track.moofs[h.offset] = track.runningTime
        track.runningTime += total
        if track.kind == .video, let firstSize = sizes.first {
            let flags = trun.firstSampleFlags ?? trun.samples.first?.flags ?? defaults.flags
            if flags & 0x0001_0000 != 0 || (flags >> 24) & 3 == 1 {
                fail("first sample flags \(hex8(flags)) do not mark a sync sample")
            }
            let start = h.offset + Int64(trun.dataOffset ?? 0)
            if firstSize > 0, firstSize <= 64 << 20, start >= 0, start + firstSize <= source.size {
                if let ranges = protectedRanges?.first {
                    // Encrypted: the IDR was found through clear bytes only if every prefix and NAL header is clear.
                    let bytes = try source.readBytes(at: start, count: Int(firstSize))
                    let types = NALUnits.types(bytes)
                    if !types.contains(5) { fail("first sample has no IDR NAL unit (types \(types))") }
                    if let header = NALUnits.headerOffsets(bytes).first(where: { at in
                        ranges.contains { $0.contains(at) || $0.overlaps(at - 4..<at) }
                    }) {
                        fail("the NAL unit header at byte \(header) of the first sample is encrypted")
                    }
                } else {
                    // Clear: only the NAL unit headers are read, not the whole key frame.
                    let types = try nalTypes(source, at: start, size: Int64(firstSize))
                    if !types.contains(5) { fail("first sample has no IDR NAL unit (types \(types))") }
                }
            } else {
                fail("first sample (\(firstSize) bytes at \(start)) lies outside the file")
            }
        }
        tracks[id] = track
    }

    /// Common Encryption checks (docs/format.md §12.3, §8): one `senc` entry per sample, subsample maps that
    /// add up to each sample's size, the PIFF box equal to `senc`, `saiz` sizes matching the entries and
    /// `saio` pointing at the first `senc` entry. Returns each sample's protected byte ranges, or nil when
    /// the fragment is clear.
    private static func checkEncryption(_ traf: TrafBox, moof: MoofBox, sizes: [Int64], _ fail: (String) -> Void)
        -> [[Range<Int>]]?
    {
        guard let entries = traf.senc?.entries ?? traf.piffSampleEncryption?.entries else {
            if traf.saiz != nil || traf.saio != nil { fail("saiz/saio without senc") }
            return nil
        }
        if entries.count != sizes.count { fail("senc has \(entries.count) entries for \(sizes.count) samples") }
        if let piff = traf.piffSampleEncryption, let senc = traf.senc, piff.entries != senc.entries {
            fail("the PIFF sample encryption box differs from senc")
        }
        var ranges: [[Range<Int>]] = []
        for (i, e) in entries.enumerated() {
            guard i < sizes.count else { break }
            if e.subsamples.isEmpty {
                ranges.append([0..<Int(sizes[i])])
                continue
            }
            if Int64(e.coveredBytes) != sizes[i] {
                fail("sample \(i): subsample map covers \(e.coveredBytes) bytes, the sample has \(sizes[i])")
            }
            var at = 0
            var r: [Range<Int>] = []
            for s in e.subsamples {
                at += Int(s.clearBytes)
                if s.protectedBytes > 0 { r.append(at..<(at + Int(s.protectedBytes))) }
                at += Int(s.protectedBytes)
            }
            ranges.append(r)
        }
        if let senc = traf.senc {
            let withSubsamples = senc.entries.contains { !$0.subsamples.isEmpty }
            if let saiz = traf.saiz {
                if saiz.sizes != senc.entries.map({ UInt8(truncatingIfNeeded: $0.auxiliarySize(withSubsamples: withSubsamples)) }) {
                    fail("saiz sizes do not match the senc entries")
                }
            } else {
                fail("senc without saiz")
            }
            if let saio = traf.saio {
                let expected = (try? Fragmenter.sencOffset(in: moof)).map { UInt64($0 + SencBox.firstEntryOffset) }
                if saio.offsets.count != 1 || saio.offsets.first != expected {
                    fail("saio offsets \(saio.offsets) do not point at the first senc entry (\(expected.map { "\($0)" } ?? "?"))")
                }
            } else {
                fail("senc without saio")
            }
        }
        return ranges
    }

    private static func decode<B: Box>(_: B.Type, _ h: BoxHeader, _ source: some RandomAccessSource) throws -> B {
        var r = try source.readBox(h)
        guard let (header, body) = try r.nextBox() else {
            throw MP4Error(code: .truncated, box: h.type, offset: h.offset)
        }
        return try B.decode(header: header, body: body)
    }
}

/// `0x` + 8 lower-case hex digits.
func hex8(_ value: UInt32) -> String {
    let h = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - h.count) + h
}
