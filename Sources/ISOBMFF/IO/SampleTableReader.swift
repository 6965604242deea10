/// Reads the samples of a non-fragmented MP4/MOV file straight from its sample tables (`stts`, `ctts`, `stss`,
/// `stsz`, `stsc`, `stco`/`co64`), a few thousand entries at a time, so memory does not grow with the length of
/// the file (docs/format.md §13). libavformat expands the same tables into an index of 24 bytes per sample
/// when it opens the file: about 30 MB for a two-hour title, held for the whole demuxing pass.
///
/// It reads only the plain case, and says so by returning nil from ``open(_:)`` for anything else, so the
/// caller can fall back on a demuxer that knows every quirk: one sample description per track, per-sample
/// sizes, non-negative composition offsets, and at most one edit whose range keeps every sample (what
/// libavformat would return for such a file is then every sample of the table, in decode order, at the
/// table's times shifted by a constant, which a caller that measures times from the first sample ignores).
public final class SampleTableReader {
    /// One track of the movie as its tables describe it.
    public struct Track: Sendable {
        /// `tkhd` track ID (libavformat's `AVStream.id` for MP4/MOV).
        public var trackID: UInt32
        /// `hdlr` handler type (`vide`, `soun`, …).
        public var handler: FourCC
        /// `mdhd` timescale: units per second of every time below.
        public var timescale: UInt32
        public var sampleCount: Int
        /// Whether ``SampleTableReader`` can read it (see the type's comment); nil when it can, else why not.
        public var unreadable: String?
        fileprivate var tables: Tables
    }

    /// One sample, in decode order.
    public struct Sample: Sendable, Equatable {
        public var trackID: UInt32
        /// Decode time from the first sample's (the table's own times, in the track's timescale).
        public var decodeTime: Int64
        /// Composition (presentation) time offset from the decode time, ≥ 0.
        public var compositionOffset: Int64
        /// `stts` delta of the sample.
        public var duration: Int64
        public var isSync: Bool
        public var offset: Int64
        public var size: Int
    }

    public let tracks: [Track]
    private let source: any RandomAccessSource

    /// The largest sample accepted (a larger size field is a damaged file, not an allocation to make).
    public static let sampleSizeLimit = 64 << 20

    private init(source: any RandomAccessSource, tracks: [Track]) {
        self.source = source
        self.tracks = tracks
    }

    /// The movie's tracks from its `moov`, or nil when the file is not a plain MP4/MOV this reader takes
    /// (no `moov` found among the top-level boxes, a fragmented movie, a damaged box tree). Reads only box
    /// headers and the small boxes; the tables stay on disk.
    public static func open(_ source: any RandomAccessSource) -> SampleTableReader? {
        guard let tracks = try? movieTracks(source) else { return nil }
        return SampleTableReader(source: source, tracks: tracks)
    }

    // MARK: - The box tree

    fileprivate struct TableRef: Sendable, Equatable {
        var offset: Int64
        var count: Int
        var entrySize: Int
    }

    fileprivate struct Tables: Sendable {
        var stts: TableRef?
        var ctts: TableRef?
        var stss: TableRef?
        var stsz: TableRef?
        var constantSize: UInt32 = 0
        var stsc: TableRef?
        var chunks: TableRef?
        var edits: [(duration: UInt64, mediaTime: Int64, rate: Int32)] = []
        var movieTimescale: UInt32 = 0
        var descriptions = 0
        var hasStz2 = false
        /// `stps` (partial sync samples) or an `sbgp` of `rap ` groups: libavformat marks those samples key
        /// frames too, which moves where its edit handling starts and stops.
        var marksMoreKeyFrames = false
    }

    private static func children(_ source: any RandomAccessSource, from start: Int64, to end: Int64) throws -> [BoxHeader] {
        var out: [BoxHeader] = []
        var offset = start
        while offset + 8 <= end {
            let n = Int(min(32, end - offset))
            let bytes = try source.readBytes(at: offset, count: n)
            let h = try BoxHeader.parse(bytes, at: 0, offset: offset, available: end - offset, path: "", topLevel: false)
            out.append(h)
            guard out.count < 4096 else { throw MP4Error(code: .badSize, box: h.type, offset: offset, detail: "too many boxes") }
            offset = h.end
        }
        return out
    }

    private static func body(_ source: any RandomAccessSource, _ h: BoxHeader, limit: Int64 = 1 << 20) throws -> [UInt8] {
        guard h.bodySize <= limit else {
            throw MP4Error(code: .boxTooLarge, box: h.type, offset: h.offset, detail: "\(h.bodySize) bytes")
        }
        return try source.readBytes(at: h.offset + Int64(h.headerSize), count: Int(h.bodySize))
    }

    private static func movieTracks(_ source: any RandomAccessSource) throws -> [Track]? {
        var offset: Int64 = 0
        var moov: BoxHeader?
        var hops = 0
        while offset < source.size, hops < 4096 {
            hops += 1
            let h = try source.boxHeader(at: offset)
            if h.type == "moof" { return nil }
            if h.type == "moov" {
                guard moov == nil else { return nil }
                moov = h
            }
            offset = h.end
        }
        guard let moov else { return nil }
        let top = try children(source, from: moov.offset + Int64(moov.headerSize), to: moov.end)
        if top.contains(where: { $0.type == "mvex" }) { return nil }
        guard let mvhd = top.first(where: { $0.type == "mvhd" }) else { return nil }
        let mv = try body(source, mvhd)
        guard mv.count >= 24 || mv.count >= 16 && mv[0] == 0 else { return nil }
        let movieTimescale = mv[0] == 1 ? be32(mv, 20) : be32(mv, 12)
        var tracks: [Track] = []
        for trak in top where trak.type == "trak" {
            guard let t = try track(source, trak, movieTimescale: movieTimescale) else { return nil }
            tracks.append(t)
        }
        return tracks
    }

    private static func track(_ source: any RandomAccessSource, _ trak: BoxHeader, movieTimescale: UInt32) throws -> Track? {
        let kids = try children(source, from: trak.offset + Int64(trak.headerSize), to: trak.end)
        guard let tkhd = kids.first(where: { $0.type == "tkhd" }),
              let mdia = kids.first(where: { $0.type == "mdia" }) else { return nil }
        let tk = try body(source, tkhd)
        guard tk.count >= 24 || tk.count >= 16 && tk[0] == 0 else { return nil }
        let trackID = tk[0] == 1 ? be32(tk, 20) : be32(tk, 12)
        var tables = Tables()
        tables.movieTimescale = movieTimescale
        if let edts = kids.first(where: { $0.type == "edts" }) {
            for e in try children(source, from: edts.offset + Int64(edts.headerSize), to: edts.end) where e.type == "elst" {
                let b = try body(source, e, limit: 64 << 10)
                guard b.count >= 8 else { return nil }
                let v1 = b[0] == 1
                let n = Int(be32(b, 4))
                let size = v1 ? 20 : 12
                guard n <= (b.count - 8) / size else { return nil }
                for i in 0..<n {
                    let p = 8 + i * size
                    if v1 {
                        tables.edits.append((be64(b, p), Int64(bitPattern: be64(b, p + 8)), Int32(bitPattern: be32(b, p + 16))))
                    } else {
                        tables.edits.append((UInt64(be32(b, p)), Int64(Int32(bitPattern: be32(b, p + 4))),
                                             Int32(bitPattern: be32(b, p + 8))))
                    }
                }
            }
        }
        let mdiaKids = try children(source, from: mdia.offset + Int64(mdia.headerSize), to: mdia.end)
        guard let mdhd = mdiaKids.first(where: { $0.type == "mdhd" }),
              let hdlr = mdiaKids.first(where: { $0.type == "hdlr" }),
              let minf = mdiaKids.first(where: { $0.type == "minf" }) else { return nil }
        let md = try body(source, mdhd)
        guard md.count >= 24 || md.count >= 16 && md[0] == 0 else { return nil }
        let timescale = md[0] == 1 ? be32(md, 20) : be32(md, 12)
        let hd = try body(source, hdlr)
        guard hd.count >= 12 else { return nil }
        let handler = FourCC(rawValue: be32(hd, 8))
        let minfKids = try children(source, from: minf.offset + Int64(minf.headerSize), to: minf.end)
        guard let stbl = minfKids.first(where: { $0.type == "stbl" }) else { return nil }
        for b in try children(source, from: stbl.offset + Int64(stbl.headerSize), to: stbl.end) {
            let start = b.offset + Int64(b.headerSize)
            func table(_ headerBytes: Int, entrySize: Int) throws -> TableRef {
                let head = try source.readBytes(at: start, count: min(headerBytes, Int(b.bodySize)))
                guard head.count == headerBytes else {
                    throw MP4Error(code: .truncated, box: b.type, offset: b.offset, detail: "short table header")
                }
                let count = Int(be32(head, headerBytes - 4))
                // The count must fit the box: never trusted to size anything by itself.
                guard Int64(count) * Int64(entrySize) <= b.bodySize - Int64(headerBytes) else {
                    throw MP4Error(code: .badSize, box: b.type, offset: b.offset, detail: "\(count) entries do not fit")
                }
                return TableRef(offset: start + Int64(headerBytes), count: count, entrySize: entrySize)
            }
            switch b.type {
            case "stsd":
                let head = try source.readBytes(at: start, count: min(8, Int(b.bodySize)))
                tables.descriptions = head.count == 8 ? Int(be32(head, 4)) : 0
            case "stts": tables.stts = try table(8, entrySize: 8)
            // Offsets are read as signed whatever the version, as libavformat reads them (version 0 says unsigned).
            case "ctts": tables.ctts = try table(8, entrySize: 8)
            case "stss": tables.stss = try table(8, entrySize: 4)
            case "stsc": tables.stsc = try table(8, entrySize: 12)
            case "stco": tables.chunks = try table(8, entrySize: 4)
            case "co64": tables.chunks = try table(8, entrySize: 8)
            case "stz2": tables.hasStz2 = true
            case "stps": tables.marksMoreKeyFrames = true
            case "sbgp":
                // version/flags, grouping_type
                let head = try source.readBytes(at: start, count: min(8, Int(b.bodySize)))
                if head.count < 8 || FourCC(rawValue: be32(head, 4)) == "rap " { tables.marksMoreKeyFrames = true }
            case "stsz":
                let head = try source.readBytes(at: start, count: min(12, Int(b.bodySize)))
                guard head.count == 12 else { return nil }
                tables.constantSize = be32(head, 4)
                let count = Int(be32(head, 8))
                if tables.constantSize == 0 {
                    guard Int64(count) * 4 <= b.bodySize - 12 else { return nil }
                }
                tables.stsz = TableRef(offset: start + 12, count: count, entrySize: 4)
            default: break
            }
        }
        var t = Track(trackID: trackID, handler: handler, timescale: timescale,
                      sampleCount: tables.stsz?.count ?? 0, unreadable: nil, tables: tables)
        t.unreadable = try plainness(source, t)
        return t
    }

    // MARK: - What is read here, and what is left to libavformat

    /// nil when every sample of the track is read here exactly as libavformat would return it (up to a
    /// constant time shift); else the reason it is not.
    private static func plainness(_ source: any RandomAccessSource, _ t: Track) throws -> String? {
        do { return try checkTables(source, t) } catch Refusal.plain { return "sample tables not plain" }
    }

    private static func checkTables(_ source: any RandomAccessSource, _ t: Track) throws -> String? {
        let tb = t.tables
        guard t.timescale > 0 else { return "no timescale" }
        guard !tb.hasStz2 else { return "compact sample sizes (stz2)" }
        guard let stsz = tb.stsz, let stts = tb.stts, let stsc = tb.stsc, let chunks = tb.chunks else {
            return "sample tables missing"
        }
        guard tb.constantSize == 0 else { return "one size for every sample" }
        guard tb.descriptions == 1 else { return "\(tb.descriptions) sample descriptions" }
        guard !tb.marksMoreKeyFrames else { return "key frames marked by stps or rap groups" }
        guard stsz.count > 0 else { return "no samples" }
        var sttsTotal = 0
        var span: Int64 = 0
        try TableCursor(source, stts).forEach { e in
            let n = Int(be32(e, 0)), delta = Int32(bitPattern: be32(e, 4))
            // libavformat never leaves an entry of no samples: every later sample would get its delta.
            guard n > 0 else { throw Refusal.plain }
            sttsTotal += n
            // The track's whole span must stay far from overflowing the times derived from it.
            let run = Int64(n) * Int64(max(delta, 0))
            guard delta >= 0, sttsTotal <= stsz.count, run < 1 << 53 else { throw Refusal.plain }
            span += run
            guard span < 1 << 53 else { throw Refusal.plain }
        }
        guard sttsTotal == stsz.count else { return "stts lists \(sttsTotal) samples, stsz \(stsz.count)" }
        if let ctts = tb.ctts {
            var total = 0
            var negative = false
            try TableCursor(source, ctts).forEach { e in
                total += Int(be32(e, 0))
                if Int32(bitPattern: be32(e, 4)) < 0 { negative = true }
                guard total <= stsz.count else { throw Refusal.plain }
            }
            guard total == stsz.count, !negative else { return "composition offsets (ctts) not plain" }
        }
        // stsc: first chunks ascending from 1, one description, and exactly the samples of stsz.
        var previous: (first: Int, perChunk: Int)?
        var samples = 0
        try TableCursor(source, stsc).forEach { e in
            let first = Int(be32(e, 0)), perChunk = Int(be32(e, 4)), description = be32(e, 8)
            if description != 1 || perChunk <= 0 || first < 1 || first > chunks.count { throw Refusal.plain }
            if let p = previous {
                let (run, over) = (first - p.first).multipliedReportingOverflow(by: p.perChunk)
                if first <= p.first || over { throw Refusal.plain }
                samples += run
            } else if first != 1 { throw Refusal.plain }
            previous = (first, perChunk)
            if samples > stsz.count { throw Refusal.plain }
        }
        guard let last = previous else { return "stsc not plain" }
        let (run, over) = (chunks.count - last.first + 1).multipliedReportingOverflow(by: last.perChunk)
        guard !over else { return "stsc not plain" }
        samples += run
        guard samples == stsz.count else { return "stsc maps \(samples) samples, stsz has \(stsz.count)" }
        if let stss = tb.stss {
            guard stss.count > 0 else { return "empty stss" }
            var previous: UInt32 = 0
            try TableCursor(source, stss).forEach { e in
                let n = be32(e, 0)
                guard n > previous, n <= UInt32(stsz.count) else { throw Refusal.plain }
                previous = n
            }
        }
        // Every sample has bytes and lies inside the file, and none is larger than what is read here:
        // libavformat skips an empty sample and reads one that runs past the end of the file its own way (the
        // rest of the file still packages), so such files are left to it.
        let fileSize = source.size
        try Self.samples(source, t) { s in
            guard s.size > 0, s.size <= sampleSizeLimit, s.offset >= 0, s.offset <= fileSize - Int64(s.size) else {
                throw Refusal.plain
            }
        }
        return try editsKeepEverySample(source, t)
    }

    private enum Refusal: Error { case plain }

    /// With one edit (after an empty one, if any), libavformat (`mov_fix_index`) starts at the last key frame at
    /// or before the edit's media time (for audio up to a second earlier) and stops after the first key frame
    /// (any frame for audio) that reaches the edit's end; samples outside that range are dropped (those inside
    /// but before the edit's start are returned, marked to be discarded after decoding). Only an edit that
    /// drops none is read here.
    private static func editsKeepEverySample(_ source: any RandomAccessSource, _ t: Track) throws -> String? {
        let tb = t.tables
        // An empty edit first (media time -1: the track starts later than the movie) only delays every sample
        // by the same amount.
        let edits = tb.edits.first?.mediaTime == -1 ? Array(tb.edits.dropFirst()) : tb.edits
        guard !edits.isEmpty else { return tb.edits.isEmpty ? nil : "only an empty edit" }
        guard edits.count == 1, let edit = edits.first else { return "\(tb.edits.count) edits" }
        guard edit.rate == 1 << 16, edit.mediaTime >= 0, edit.mediaTime < 1 << 53, edit.duration > 0,
              tb.movieTimescale > 0 else { return "edit not plain" }
        let ts = UInt64(t.timescale), mts = UInt64(tb.movieTimescale)
        let (scaled, over) = edit.duration.multipliedReportingOverflow(by: ts)
        guard !over, scaled / mts < 1 << 53 else { return "edit not plain" }
        // av_rescale's rounding: to the nearest, halves up.
        let duration = Int64(scaled / mts + (scaled % mts + mts / 2 >= mts ? 1 : 0))
        let end = edit.mediaTime + duration
        let audio = t.handler == "soun"
        let search = audio ? edit.mediaTime - Int64(t.timescale) : edit.mediaTime
        var index = 0
        // libavformat starts fixing times at the first sample presented at or after the edit's media time; a
        // track with none (the edit points past its media) keeps the raw times, all alike.
        var reachesTheEdit = false
        do {
            try samples(source, t) { s in
                defer { index += 1 }
                let presented = s.decodeTime + s.compositionOffset
                if presented >= edit.mediaTime, presented < end { reachesTheEdit = true }
                if index == 0 {
                    if !s.isSync { throw Refusal.plain }
                } else if s.isSync && s.decodeTime <= search {
                    // A later key frame at or before the search time would be the start, not the first sample.
                    throw Refusal.plain
                }
                // Reading stops after this sample: the ones after it would be dropped.
                if index < t.sampleCount - 1, s.decodeTime + s.compositionOffset + s.duration >= end, audio || s.isSync {
                    throw Refusal.plain
                }
            }
        } catch Refusal.plain {
            return "the edit list drops samples"
        }
        return reachesTheEdit ? nil : "the edit list shows no sample"
    }

    // MARK: - Reading

    /// Calls `body` with every sample of the tracks `trackIDs`, each track in decode order, the tracks merged
    /// by file offset (the order they lie in the file), with the sample's bytes. Memory: a read window of
    /// `window` bytes (larger only for a larger sample) and a few table pages per track.
    public func read(trackIDs: Set<UInt32>, window: Int = 1 << 20,
                     _ body: (Sample, UnsafeRawBufferPointer) throws -> Void) throws {
        var cursors = try tracks.filter { trackIDs.contains($0.trackID) && $0.unreadable == nil }
            .map { try SampleCursor(source, $0) }
        var heads: [Sample?] = try cursors.indices.map { try cursors[$0].next() }
        var buffer: [UInt8] = []
        var windowStart: Int64 = 0
        while true {
            var pick = -1
            for i in heads.indices {
                guard let h = heads[i] else { continue }
                if pick < 0 || h.offset < heads[pick]!.offset { pick = i }
            }
            guard pick >= 0, let s = heads[pick] else { return }
            guard s.size <= Self.sampleSizeLimit, s.offset >= 0, s.offset <= source.size - Int64(s.size) else {
                throw MP4Error(code: .truncated, box: "mdat", offset: s.offset,
                               detail: "sample of \(s.size) bytes at \(s.offset) lies outside the \(source.size)-byte file")
            }
            if s.offset < windowStart || s.offset + Int64(s.size) > windowStart + Int64(buffer.count) {
                // One read of the window (or of the sample, when larger): samples that lie together in the file
                // (interleaved tracks, a chunk) are then sliced from it.
                windowStart = s.offset
                let count = Int(min(Int64(max(window, s.size)), source.size - s.offset))
                buffer = try source.readBytes(at: windowStart, count: count)
            }
            let from = Int(s.offset - windowStart)
            try buffer.withUnsafeBytes { all in
                try body(s, UnsafeRawBufferPointer(rebasing: all[from..<(from + s.size)]))
            }
            heads[pick] = try cursors[pick].next()
        }
    }

    /// Every sample of `t` without its bytes (tables only).
    private static func samples(_ source: any RandomAccessSource, _ t: Track, _ body: (Sample) throws -> Void) throws {
        var c = try SampleCursor(source, t)
        while let s = try c.next() { try body(s) }
    }
}

/// Big-endian reads from a byte array (callers check the length).
private func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}

private func be64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(be32(b, i)) << 32 | UInt64(be32(b, i + 4)) }

/// A table's entries read in pages of `pageEntries` through `pread`.
private struct TableCursor {
    let source: any RandomAccessSource
    let ref: SampleTableReader.TableRef
    let pageEntries: Int
    private var page: [UInt8] = []
    private var pageFirst = 0
    private var index = 0

    init(_ source: any RandomAccessSource, _ ref: SampleTableReader.TableRef, pageEntries: Int = 4096) {
        self.source = source
        self.ref = ref
        self.pageEntries = pageEntries
    }

    /// The next entry's bytes (`ref.entrySize` of them) as a page and the entry's start in it.
    mutating func next() throws -> (page: [UInt8], at: Int)? {
        guard index < ref.count else { return nil }
        if index >= pageFirst + page.count / ref.entrySize || page.isEmpty {
            pageFirst = index
            let n = min(pageEntries, ref.count - index)
            page = try source.readBytes(at: ref.offset + Int64(index) * Int64(ref.entrySize), count: n * ref.entrySize)
        }
        defer { index += 1 }
        return (page, (index - pageFirst) * ref.entrySize)
    }

    /// Every entry, as its page and start (read with `be32(e, offset)`), without copying it.
    func forEach(_ body: ((page: [UInt8], at: Int)) throws -> Void) throws {
        var c = self
        while let e = try c.next() { try body(e) }
    }
}

private func be32(_ e: (page: [UInt8], at: Int), _ i: Int) -> UInt32 { be32(e.page, e.at + i) }
private func be64(_ e: (page: [UInt8], at: Int), _ i: Int) -> UInt64 { be64(e.page, e.at + i) }

/// One track's samples in decode order, from its tables (all validated by `plainness` first).
private struct SampleCursor {
    let trackID: UInt32
    let count: Int
    var stts: TableCursor
    var ctts: TableCursor?
    var stss: TableCursor?
    var stsz: TableCursor
    var stsc: TableCursor
    var chunks: TableCursor

    var index = 0
    var decodeTime: Int64 = 0
    var sttsLeft = 0
    var sttsDelta: Int64 = 0
    var cttsLeft = 0
    var cttsOffset: Int64 = 0
    var nextSync: Int?
    /// Samples per chunk of the current stsc run, and the first chunk (1-based) of the next run.
    var perChunk = 0
    var nextRunFirst = Int.max
    var chunk = 0
    var inChunkLeft = 0
    var position: Int64 = 0

    init(_ source: any RandomAccessSource, _ t: SampleTableReader.Track) throws {
        let tb = t.tables
        guard let stts = tb.stts, let stsz = tb.stsz, let stsc = tb.stsc, let chunks = tb.chunks else {
            throw MP4Error(code: .missingBox, box: "stbl", detail: "sample tables missing")
        }
        trackID = t.trackID
        count = t.sampleCount
        self.stts = TableCursor(source, stts)
        self.ctts = tb.ctts.map { TableCursor(source, $0) }
        self.stss = tb.stss.map { TableCursor(source, $0) }
        self.stsz = TableCursor(source, stsz)
        self.stsc = TableCursor(source, stsc)
        self.chunks = TableCursor(source, chunks)
        if var s = self.stss, let e = try s.next() {
            nextSync = Int(be32(e, 0)) - 1
            self.stss = s
        }
        if let e = try self.stsc.next() {
            perChunk = Int(be32(e, 4))
        }
        nextRunFirst = try peekRunFirst()
    }

    private mutating func peekRunFirst() throws -> Int {
        var copy = stsc
        guard let e = try copy.next() else { return Int.max }
        return Int(be32(e, 0))
    }

    mutating func next() throws -> SampleTableReader.Sample? {
        guard index < count else { return nil }
        while sttsLeft == 0 {
            guard let e = try stts.next() else { return nil }
            sttsLeft = Int(be32(e, 0))
            sttsDelta = Int64(be32(e, 4))
        }
        if var c = ctts {
            while cttsLeft == 0 {
                guard let e = try c.next() else { return nil }
                cttsLeft = Int(be32(e, 0))
                cttsOffset = Int64(Int32(bitPattern: be32(e, 4)))
            }
            ctts = c
            cttsLeft -= 1
        }
        if inChunkLeft == 0 {
            chunk += 1
            if chunk >= nextRunFirst {
                guard let e = try stsc.next() else { return nil }
                perChunk = Int(be32(e, 4))
                nextRunFirst = try peekRunFirst()
            }
            guard let e = try chunks.next() else { return nil }
            position = chunks.ref.entrySize == 8 ? Int64(bitPattern: be64(e, 0)) : Int64(be32(e, 0))
            inChunkLeft = perChunk
        }
        guard let z = try stsz.next() else { return nil }
        let size = Int(be32(z, 0))
        var sync = true
        if stss != nil {
            sync = nextSync == index
            if sync, var s = stss {
                nextSync = try s.next().map { Int(be32($0, 0)) - 1 }
                stss = s
            }
        }
        let sample = SampleTableReader.Sample(trackID: trackID, decodeTime: decodeTime, compositionOffset: cttsOffset,
                                              duration: sttsDelta, isSync: sync, offset: position, size: size)
        position &+= Int64(size)  // a damaged offset is refused by the read, never trapped on here
        inChunkLeft -= 1
        sttsLeft -= 1
        decodeTime += sttsDelta
        index += 1
        return sample
    }
}
