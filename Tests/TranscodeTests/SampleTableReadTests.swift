import Foundation
import ISOBMFF
import MediaCore
import TestSupport
import Testing
import Transcode

/// `package` reads MP4/MOV sources from their sample tables a page at a time (issue 17: peak memory of a
/// 2-hour title); libavformat would first expand the tables into an index of every sample. The samples must be
/// the ones libavformat returns, byte for byte and time for time, on every kind of file ffmpeg and others
/// write; files the tables do not describe plainly (fragmented, edits that drop samples, negative composition
/// offsets) go through libavformat as before.
@Suite struct SampleTableReadTests {
    /// A generated file, the ffmpeg options that make it, and whether its tables are read directly.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var arguments: [String]
        var tables: Bool
        var description: String { name }
    }

    static let video = ["-f", "lavfi", "-i", "testsrc2=size=192x108:rate=25:duration=6"]
    static let audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6"]
    static let gop = ["-g", "50", "-keyint_min", "50", "-sc_threshold", "0"]

    static let cases: [Case] = [
        // x264's defaults: B-frames, so a ctts table and a video edit starting at the first picture's offset;
        // AAC with its priming frame before the audio edit.
        Case(name: "bframes.mp4", arguments: video + audio + ["-c:v", "libx264"] + gop + ["-c:a", "aac"], tables: true),
        Case(name: "no-bframes.mov", arguments: video + audio + ["-c:v", "libx264", "-bf", "0"] + gop + ["-c:a", "aac", "-ac", "1"],
             tables: true),
        Case(name: "ntsc-faststart.mp4",
             arguments: ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30000/1001:duration=6", "-f", "lavfi", "-i",
                         "sine=frequency=300:sample_rate=44100:duration=6", "-c:v", "libx264", "-g", "60", "-bf", "3",
                         "-c:a", "aac", "-movflags", "+faststart"], tables: true),
        Case(name: "big-chunks.mp4", arguments: video + audio + ["-c:v", "libx264"] + gop + ["-c:a", "aac", "-chunk_duration", "3000000"],
             tables: true),
        Case(name: "no-editlist.mp4", arguments: video + audio + ["-c:v", "libx264"] + gop + ["-c:a", "aac", "-use_editlist", "0"],
             tables: true),
        Case(name: "negative-cts.mp4",
             arguments: video + audio + ["-c:v", "libx264"] + gop + ["-c:a", "aac", "-movflags", "negative_cts_offsets"],
             tables: false),
        Case(name: "fragmented.mp4",
             arguments: video + audio + ["-c:v", "libx264"] + gop + ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"],
             tables: false),
    ]

    /// Every sample of every stream, through one reader or the other.
    static func samples(_ path: String, tables: Bool) throws -> (samples: [String], usedTables: Bool) {
        let source = try PreEncodedSource(path: path)
        source.readsSampleTables = tables
        var out: [String] = []
        try source.read(streamIndexes: Set(source.tracks.map(\.streamIndex))) { index, s in
            out.append("\(index) \(s.decodeTime) \(s.presentationTime) \(s.duration) \(s.isSync) \(Digests.hex(SHA256.hash(s.data)))")
        }
        return (out.sorted(), source.lastReadUsedSampleTables)
    }

    @Test(arguments: cases)
    func tablesGiveLibavformatsSamples(_ c: Case) throws {
        let dir = try TestPaths.temporaryDirectory("sample-tables")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.ffmpeg(c.arguments + [dir.appendingPathComponent(c.name).path])
        #expect(try Self.samples(path, tables: false).samples.count > 100)
        #expect(try Self.expectSameSamples(path) == c.tables, "\(c.name): read from the tables or not")
    }

    /// Copies that start or end inside the source keep an edit list that drops samples (ffmpeg `-ss`/`-t`
    /// with `-c copy`); whichever way they are read, the samples are libavformat's.
    @Test func trimmedCopiesGiveLibavformatsSamples() throws {
        let dir = try TestPaths.temporaryDirectory("sample-tables-trim")
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try Self.ffmpeg(Self.video + Self.audio + ["-c:v", "libx264", "-g", "25", "-c:a", "aac",
                                                                 dir.appendingPathComponent("full.mp4").path])
        for (name, options) in [("start.mp4", ["-ss", "2.3", "-i", full]), ("end.mp4", ["-i", full, "-t", "3.7"])] {
            try Self.expectSameSamples(try Self.ffmpeg(options + ["-c", "copy", dir.appendingPathComponent(name).path]))
        }
    }

    /// An edit that starts past a later key frame, or ends before the last samples, makes libavformat drop
    /// samples: such a file is read through libavformat, with the same samples as ever.
    @Test func editsThatDropSamplesAreLeftToLibavformat() throws {
        let dir = try TestPaths.temporaryDirectory("sample-tables-edits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try Self.ffmpeg(Self.video + Self.audio + ["-c:v", "libx264", "-g", "25", "-bf", "0", "-c:a", "aac",
                                                                 dir.appendingPathComponent("full.mp4").path])
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: full)))
        // The video's elst (the first track's): one entry, version 0; body = version/flags, count, entries.
        let elst = try #require(Self.find("elst", in: original))
        func patched(_ name: String, duration: UInt32?, mediaTime: UInt32?) throws -> String {
            var bytes = original
            func put(_ v: UInt32, at i: Int) { bytes.replaceSubrange(i..<(i + 4), with: withUnsafeBytes(of: v.bigEndian, Array.init)) }
            if let duration { put(duration, at: elst + 8) }
            if let mediaTime { put(mediaTime, at: elst + 12) }
            let path = dir.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        // testsrc2 at 25 fps in ffmpeg's MP4: 12800 units a second; the movie timescale is 1000.
        for path in [try patched("late-start.mp4", duration: nil, mediaTime: 12800 * 5 / 2),
                     try patched("early-end.mp4", duration: 2500, mediaTime: nil)] {
            #expect(try !Self.expectSameSamples(path), "\(path) was read from its tables")
        }
    }

    /// What an independent comparison of the two readers found on hand-edited files (280 cases, 12 differing):
    /// libavformat reads these its own way, so they are left to it, with the same samples as ever.
    /// - an `stts` entry of no samples in the middle (libavformat never leaves it: every later sample gets its delta);
    /// - key frames also marked by `stps` or by `rap ` sample groups (libavformat's edit handling uses them);
    /// - an edit whose media time lies after every sample of a one-GOP track (libavformat then fixes no time);
    /// - a chunk offset past the end of the file, an empty sample (libavformat reads on without them).
    @Test func quirksLibavformatReadsItsOwnWayAreLeftToIt() throws {
        let dir = try TestPaths.temporaryDirectory("sample-tables-quirks")
        defer { try? FileManager.default.removeItem(at: dir) }
        // One video track, no B-frames, 150 frames of 512 units, key frames every 50; ffmpeg writes moov last, so
        // growing a box in it moves no sample.
        let base = try Self.ffmpeg(Self.video + ["-c:v", "libx264", "-bf", "0"] + Self.gop
                                   + [dir.appendingPathComponent("base.mp4").path])
        let oneGOP = try Self.ffmpeg(Self.video + ["-c:v", "libx264", "-bf", "0", "-g", "1000",
                                                   dir.appendingPathComponent("one-gop.mp4").path])
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: base)))
        #expect(try Self.expectSameSamples(base), "the unedited file is read from its tables")
        let stbl = ["moov", "trak", "mdia", "minf", "stbl"]
        func fullBox(_ type: String, _ payload: [UInt32]) -> [UInt8] {
            let words = [UInt32(12 + payload.count * 4)] + [0] + payload  // size, (type), version/flags, payload
            var b = withUnsafeBytes(of: words[0].bigEndian, Array.init) + Array(type.utf8)
            for w in words.dropFirst() { b += withUnsafeBytes(of: w.bigEndian, Array.init) }
            return b
        }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        var quirks: [String] = []
        // stts: 10 samples, an entry of none, 140 samples.
        let stts = try #require(Self.box(stbl + ["stts"], in: original))
        quirks.append(try write("stts-zero.mp4", Self.splice(original, stts, with: fullBox("stts", [3, 10, 512, 0, 999, 140, 512]))))
        // An stps or an sbgp of rap groups (one group of all 150 samples) added at the end of stbl.
        let table = try #require(Self.box(stbl, in: original))
        let stblEnd = (offset: table.offset + table.size, size: 0, ancestors: table.ancestors + [table.offset])
        quirks.append(try write("stps.mp4", Self.splice(original, stblEnd, with: fullBox("stps", [1, 75]))))
        quirks.append(try write("sbgp-rap.mp4", Self.splice(original, stblEnd,
                                                            with: fullBox("sbgp", [0x7261_7020, 1, 150, 1]))))
        // The one-GOP file's video edit pointed at media time 100 s.
        var late = try [UInt8](Data(contentsOf: URL(fileURLWithPath: oneGOP)))
        let elst = try #require(Self.find("elst", in: late))
        late.replaceSubrange((elst + 12)..<(elst + 16), with: withUnsafeBytes(of: UInt32(12800 * 100).bigEndian, Array.init))
        quirks.append(try write("edit-past-the-media.mp4", late))
        // The last chunk's offset past the end of the file; the last sample's size 0.
        var beyond = original
        let stco = try #require(Self.box(stbl + ["stco"], in: original))
        let lastChunk = stco.offset + stco.size - 4
        beyond.replaceSubrange(lastChunk..<(lastChunk + 4),
                               with: withUnsafeBytes(of: UInt32(original.count + 1000).bigEndian, Array.init))
        quirks.append(try write("chunk-past-the-end.mp4", beyond))
        var empty = original
        let stsz = try #require(Self.box(stbl + ["stsz"], in: original))
        empty.replaceSubrange((stsz.offset + stsz.size - 4)..<(stsz.offset + stsz.size), with: [0, 0, 0, 0])
        quirks.append(try write("empty-sample.mp4", empty))
        for path in quirks {
            #expect(try !Self.expectSameSamples(path), "\((path as NSString).lastPathComponent) was read from its tables")
        }
    }

    @Test func testMediaGivesLibavformatsSamples() throws {
        for name in ["bars-25fps-stereo.mp4", "ntsc-2997fps-5.1.mp4", "pal-4x3-anamorphic.mp4", "phone-portrait-rotated.mp4",
                     "tone-44100hz-audio-only.m4a"] {
            try Self.expectSameSamples(TestPaths.testMedia(name))
        }
    }

    /// Damaged tables never size an allocation or read outside the file: a sample count far beyond what the
    /// box holds is refused when the movie is opened (the file is then libavformat's to judge).
    @Test func aCountBeyondItsBoxIsNotTrusted() throws {
        let dir = try TestPaths.temporaryDirectory("sample-tables-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.ffmpeg(Self.video + ["-c:v", "libx264", dir.appendingPathComponent("bad.mp4").path])
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let stsz = try #require(Self.find("stsz", in: bytes))
        // Sample count (after version/flags and the constant size) set to 0x7fffffff.
        bytes.replaceSubrange((stsz + 8)..<(stsz + 12), with: [0x7f, 0xff, 0xff, 0xff])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = SampleTableReader.open(try ReadableFile(path: path))
        #expect(reader == nil || reader!.tracks.allSatisfy { $0.unreadable != nil })
    }

    /// ffmpeg's concat demuxer with `-c copy` (how the bench makes its 2-hour source) delays the video a
    /// little and writes an empty edit before the video's edit: still every sample, read from the tables. Without
    /// B-frames libavformat gives the last video packet the stream's duration minus its delayed decode time,
    /// shorter than the table's (19 ms instead of 40 on the bench's 2-hour source), and the packaged last
    /// sample follows it; the table path takes that value over.
    @Test func concatenatedCopyIsReadFromTheTables() throws {
        let dir = try TestPaths.temporaryDirectory("sample-tables-concat")
        defer { try? FileManager.default.removeItem(at: dir) }
        let part = try Self.ffmpeg(Self.video + Self.audio + ["-c:v", "libx264", "-bf", "0"] + Self.gop
                                   + ["-c:a", "aac", dir.appendingPathComponent("part.mp4").path])
        let list = dir.appendingPathComponent("list.txt")
        try "file '\(part)'\nfile '\(part)'\nfile '\(part)'\n".write(to: list, atomically: true, encoding: .utf8)
        let joined = try Self.ffmpeg(["-f", "concat", "-safe", "0", "-i", list.path, "-c", "copy",
                                      dir.appendingPathComponent("joined.mp4").path])
        #expect(try Self.samples(joined, tables: false).samples.count > 600)
        #expect(try Self.expectSameSamples(joined), "not read from the tables")
    }

    /// Runs ffmpeg (quiet, overwriting) with `arguments`; the output path is their last element.
    @discardableResult
    static func ffmpeg(_ arguments: [String]) throws -> String {
        let r = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-y"] + arguments)
        try #require(r.status == 0, "\(r.stderr)")
        return arguments.last ?? ""
    }

    /// Reads `path` both ways; expects the same samples and returns whether the tables were read.
    @discardableResult
    static func expectSameSamples(_ path: String) throws -> Bool {
        let direct = try samples(path, tables: true)
        let libav = try samples(path, tables: false)
        #expect(!libav.usedTables)
        let diff = difference(direct.samples, libav.samples)
        #expect(diff == nil, "\((path as NSString).lastPathComponent): the samples differ: \(diff ?? "")")
        return direct.usedTables
    }

    /// The first sample line that differs (sorted lists), or nil when the two are equal.
    static func difference(_ a: [String], _ b: [String]) -> String? {
        if let i = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) { return "tables \(a[i]) / libavformat \(b[i])" }
        return a.count == b.count ? nil : "\(a.count) samples from the tables, \(b.count) from libavformat"
    }

    /// The box at `path` (the first of each type at each level), with the offsets of the boxes around it.
    static func box(_ path: [String], in bytes: [UInt8]) -> (offset: Int, size: Int, ancestors: [Int])? {
        var start = 0, end = bytes.count
        var ancestors: [Int] = []
        var found: (offset: Int, size: Int)?
        for (level, type) in path.enumerated() {
            found = nil
            var at = start
            while at + 8 <= end {
                let size = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                guard size >= 8, at + size <= end else { return nil }
                if String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self) == type { found = (at, size); break }
                at += size
            }
            guard let f = found else { return nil }
            if level < path.count - 1 { ancestors.append(f.offset) }
            (start, end) = (f.offset + 8, f.offset + f.size)
        }
        return found.map { ($0.offset, $0.size, ancestors) }
    }

    /// `bytes` with the `size` bytes at `offset` replaced by `new`, and the sizes of the boxes around them
    /// changed to match (32-bit sizes; nothing after them in the file moves when they are in a trailing moov).
    static func splice(_ bytes: [UInt8], _ at: (offset: Int, size: Int, ancestors: [Int]), with new: [UInt8]) -> [UInt8] {
        var out = bytes
        out.replaceSubrange(at.offset..<(at.offset + at.size), with: new)
        let delta = new.count - at.size
        for a in at.ancestors {
            let size = Int(out[a]) << 24 | Int(out[a + 1]) << 16 | Int(out[a + 2]) << 8 | Int(out[a + 3])
            out.replaceSubrange(a..<(a + 4), with: withUnsafeBytes(of: UInt32(size + delta).bigEndian, Array.init))
        }
        return out
    }

    static func find(_ type: String, in bytes: [UInt8]) -> Int? {
        let t = Array(type.utf8)
        guard bytes.count > 8 else { return nil }
        for i in 4..<(bytes.count - 4) where Array(bytes[i..<(i + 4)]) == t { return i + 4 }
        return nil
    }
}
