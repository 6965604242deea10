public import MediaCore

/// Media kind of a track, from its `hdlr`.
public enum TrackKind: String, Sendable, Equatable, Codable {
    case video, audio, other
}

/// One track as described by a file's `moov`.
public struct TrackInfo: Sendable, Equatable {
    public var trackID: UInt32
    public var kind: TrackKind
    /// mdhd timescale (10 000 000 in our files).
    public var timescale: UInt32
    /// SPS/PPS from `avcC` or the AudioSpecificConfig from `esds`; nil for other sample entries.
    /// `VideoCodecConfig.frameDuration` is not stored in a moov: it is the first fragment's mean sample
    /// duration (0 when the file has no fragment of the track); SAR is 1/1.
    public var codec: CodecConfig?
}

/// Reads the `moov` of a file through positional reads (top-level headers, then the moov itself).
public enum MovieReader {
    /// The tracks of the file, with their codec configuration.
    public static func tracks(in source: some RandomAccessSource, limit: Int64 = 16 << 20) throws -> [TrackInfo] {
        var offset: Int64 = 0
        var moov: MoovBox?
        var firstMoofs: [UInt32: (duration: UInt64, count: Int)] = [:]
        var hops = 0
        while offset < source.size, hops < 4096 {
            hops += 1
            let h = try source.boxHeader(at: offset)
            if h.type == MoovBox.type {
                var r = try source.readBox(h, limit: limit)
                if let (header, body) = try r.nextBox() { moov = try MoovBox.decode(header: header, body: body) }
            } else if h.type == MoofBox.type, let m = moov {
                var r = try source.readBox(h, limit: limit)
                if let (header, body) = try r.nextBox() {
                    let moof = try MoofBox.decode(header: header, body: body)
                    for traf in moof.trafs where firstMoofs[traf.tfhd.trackID] == nil {
                        let samples = traf.truns.flatMap(\.samples)
                        let total = samples.reduce(UInt64(0)) {
                            $0 + UInt64($1.duration ?? traf.tfhd.defaultSampleDuration ?? 0)
                        }
                        firstMoofs[traf.tfhd.trackID] = (total, samples.count)
                    }
                }
                if m.tracks.allSatisfy({ firstMoofs[$0.tkhd.trackID] != nil }) { break }
            } else if h.type == MfraBox.type {
                break
            }
            offset = h.end
        }
        guard let moov else { throw MP4Error(code: .missingBox, box: "moov", detail: "no moov in the file") }
        return moov.tracks.map { trak in
            let id = trak.tkhd.trackID
            let timescale = trak.mdia.mdhd.timescale
            let kind: TrackKind =
                switch trak.mdia.hdlr.handlerType {
                case "vide": .video
                case "soun": .audio
                default: .other
                }
            var codec: CodecConfig?
            switch trak.mdia.minf.stbl.stsd.entries.first {
            case .avc1(let e):
                var frameDuration = Rational(0, 1)
                if let first = firstMoofs[id], first.count > 0, timescale > 0, first.duration <= UInt64(Int64.max) {
                    frameDuration = Rational(Int64(first.duration), Int64(first.count) * Int64(timescale))
                }
                codec = .video(
                    VideoCodecConfig(
                        sps: e.avcC.sequenceParameterSets.first ?? [],
                        pps: e.avcC.pictureParameterSets.first ?? [],
                        width: Int(e.width), height: Int(e.height),
                        frameDuration: frameDuration))
            case .mp4a(let e):
                codec = .audio(
                    AudioCodecConfig(
                        audioSpecificConfig: e.esds.decoderSpecificInfo,
                        sampleRate: Int(e.sampleRate), channels: Int(e.channelCount)))
            default:
                codec = nil
            }
            return TrackInfo(trackID: id, kind: kind, timescale: timescale, codec: codec)
        }
    }
}
