extension FragmentIndex {
    /// Rebuilds the ``FragmentIndex`` of one track of a file written by us (or any PIFF file with an
    /// `mfra`): codec from the moov, fragment list from the tfra, and per fragment one read of its
    /// moof (durations, sample count) and of the following mdat header. Mdat payloads are never read.
    public static func read(from source: some RandomAccessSource, trackID: UInt32? = nil) throws -> FragmentIndex {
        let tracks = try MovieReader.tracks(in: source)
        guard let track = trackID.map({ id in tracks.first { $0.trackID == id } }) ?? tracks.first else {
            throw MP4Error(code: .missingBox, box: "trak", path: "moov/trak", detail: "no track \(trackID ?? 0)")
        }
        guard let codec = track.codec else {
            throw MP4Error(
                code: .invalidValue, box: "stsd", path: "moov/trak/mdia/minf/stbl/stsd",
                detail: "track \(track.trackID) is neither avc1 nor mp4a")
        }
        let ra = try RandomAccessIndex.load(from: source)
        guard let table = ra.table(trackID: track.trackID) else {
            throw MP4Error(
                code: .missingBox, box: "tfra", path: "mfra/tfra", offset: ra.mfraOffset,
                detail: "no tfra for track \(track.trackID)")
        }
        var fragments: [FragmentInfo] = []
        for entry in table.entries {
            guard entry.moofOffset < UInt64(source.size), entry.time <= UInt64(Int64.max) else {
                throw MP4Error(
                    code: .invalidValue, box: "tfra", path: "mfra/tfra", offset: ra.mfraOffset,
                    detail: "entry outside the file: moof offset \(entry.moofOffset)")
            }
            let offset = Int64(entry.moofOffset)
            let header = try source.boxHeader(at: offset)
            var r = try source.readBox(header)
            guard let (h, body) = try r.nextBox(), h.type == MoofBox.type else {
                throw MP4Error(
                    code: .unexpectedBox, box: header.type, path: header.displayName, offset: offset,
                    detail: "tfra entry does not point at a moof")
            }
            let moof = try MoofBox.decode(header: h, body: body)
            guard let traf = moof.trafs.first(where: { $0.tfhd.trackID == track.trackID }) else {
                throw MP4Error(
                    code: .missingBox, box: "traf", path: "moof/traf", offset: offset,
                    detail: "no traf for track \(track.trackID)")
            }
            let samples = traf.truns.flatMap(\.samples)
            let duration = samples.reduce(Int64(0)) { $0 + Int64($1.duration ?? traf.tfhd.defaultSampleDuration ?? 0) }
            let mdat = try source.boxHeader(at: header.end)
            guard mdat.type == MdatBox.type else {
                throw MP4Error(
                    code: .unexpectedBox, box: mdat.type, path: mdat.displayName, offset: header.end,
                    detail: "expected mdat after moof")
            }
            fragments.append(
                FragmentInfo(
                    time: Int64(entry.time), duration: duration, moofOffset: offset,
                    moofSize: header.size, mdatSize: mdat.size, sampleCount: samples.count))
        }
        let headerSize = try source.topLevelPrefixSize()
        return FragmentIndex(
            trackID: track.trackID, codec: codec, fragments: fragments, headerSize: headerSize,
            mfraOffset: ra.mfraOffset, mfraSize: ra.mfraSize, totalBytes: source.size)
    }
}

extension RandomAccessSource {
    /// Bytes before the first `moof` (ftyp + moov), by hopping over top-level headers.
    func topLevelPrefixSize() throws -> Int64 {
        var offset: Int64 = 0
        while offset < size {
            let h = try boxHeader(at: offset)
            if h.type == MoofBox.type || h.type == MfraBox.type { return offset }
            offset = h.end
        }
        return offset
    }
}
