/// The `tfra` tables of a file, loaded from its tail only (docs/format.md §1.7 "How a server uses
/// it"): the last 16 bytes are the `mfro`, whose size locates the `mfra`, which holds one `tfra` per track.
public struct RandomAccessIndex: Sendable, Equatable {
    /// One table per track, in file order.
    public var tables: [TfraBox]
    /// Offset and size of the `mfra` box.
    public var mfraOffset: Int64
    public var mfraSize: Int64

    public init(tables: [TfraBox], mfraOffset: Int64, mfraSize: Int64) {
        self.tables = tables
        self.mfraOffset = mfraOffset
        self.mfraSize = mfraSize
    }

    /// Reads `mfro` → `mfra` → `tfra` with two positional reads. The `mfra` must lie inside the file,
    /// be at most `limit` bytes, and its `mfro` must repeat its size.
    public static func load(from source: some RandomAccessSource, limit: Int64 = 64 << 20) throws -> RandomAccessIndex {
        guard source.size >= 16 + 8 else {
            throw MP4Error(
                code: .truncated, box: "mfro", path: "mfra/mfro", offset: 0, detail: "file of \(source.size) bytes")
        }
        let mfroOffset = source.size - 16
        let mfro = try MfroBox.decode(try source.readBytes(at: mfroOffset, count: 16), fileOffset: mfroOffset)
        let size = Int64(mfro.mfraSize)
        guard size >= 24, size <= source.size else {
            throw MP4Error(
                code: .invalidValue, box: "mfro", path: "mfra/mfro", offset: mfroOffset,
                detail: "mfra size \(size) does not fit a file of \(source.size) bytes")
        }
        let mfraOffset = source.size - size
        let header = try source.boxHeader(at: mfraOffset)
        guard header.type == MfraBox.type, header.size == size else {
            throw MP4Error(
                code: .unexpectedBox, box: header.type, path: header.displayName, offset: mfraOffset,
                detail: "mfro points at \(header.displayName) of \(header.size) bytes, expected mfra of \(size)")
        }
        var reader = try source.readBox(header, limit: limit)
        guard let (h, body) = try reader.nextBox() else {
            throw MP4Error(code: .truncated, box: "mfra", offset: mfraOffset)
        }
        let mfra = try MfraBox.decode(header: h, body: body)
        return RandomAccessIndex(tables: mfra.tfras, mfraOffset: mfraOffset, mfraSize: size)
    }

    /// The table of `trackID`.
    public func table(trackID: UInt32) -> TfraBox? { tables.first { $0.trackID == trackID } }

    /// The entry whose time equals `time` exactly (how a Smooth origin maps `Fragments(video=T)`).
    public func entry(trackID: UInt32, time: UInt64) -> TfraBox.Entry? {
        guard let entries = table(trackID: trackID)?.entries else { return nil }
        var lo = 0
        var hi = entries.count  // times are increasing: binary search, then confirm
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].time < time { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count, entries[lo].time == time { return entries[lo] }
        return entries.first { $0.time == time }
    }
}

extension RandomAccessSource {
    /// The byte range of the fragment whose `moof` starts at `moofOffset`: the moof and the `mdat`
    /// right after it (two header reads). Throws if either box is not where it must be.
    public func fragmentRange(moofOffset: Int64) throws -> Range<Int64> {
        let moof = try boxHeader(at: moofOffset)
        guard moof.type == MoofBox.type else {
            throw MP4Error(
                code: .unexpectedBox, box: moof.type, path: moof.displayName, offset: moofOffset,
                detail: "expected moof")
        }
        let mdat = try boxHeader(at: moof.end)
        guard mdat.type == MdatBox.type else {
            throw MP4Error(
                code: .unexpectedBox, box: mdat.type, path: mdat.displayName, offset: moof.end,
                detail: "expected mdat after moof")
        }
        return moofOffset..<mdat.end
    }
}
