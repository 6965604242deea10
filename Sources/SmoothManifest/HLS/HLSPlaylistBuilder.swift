internal import MediaCore

/// Builds the HLS playlists of a presentation over byte ranges of its `.ismv`/`.isma` files
/// (RFC 8216bis, fMP4 segments): one media playlist per file (`EXT-X-MAP` = the `ftyp`+`moov`
/// range, one `EXTINF` + `EXT-X-BYTERANGE` per fragment, from the same fragment times as the Smooth
/// `c` elements) and the multivariant `<presentation>.m3u8` with one `EXT-X-STREAM-INF` per video
/// rung and every audio file as an `EXT-X-MEDIA` rendition of group `audio` (per audio file when the
/// presentation has no video). `BANDWIDTH` is the peak segment bitrate (plus the highest audio peak
/// for a video variant) and `AVERAGE-BANDWIDTH` the mean.
public struct HLSPlaylistBuilder: Sendable {
    /// Presentation stem: the multivariant playlist is `<presentation>.m3u8`.
    public var presentation: String

    /// Creates a builder.
    public init(presentation: String) { self.presentation = presentation }

    /// `<presentation>.m3u8`.
    public var fileName: String { presentation + ".m3u8" }

    /// The media playlist name of a media file: its name with the extension replaced by `.m3u8`.
    public static func mediaPlaylistName(for source: String) -> String {
        let stem = source.lastIndex(of: ".").map { String(source[..<$0]) } ?? source
        return (stem.isEmpty ? source : stem) + ".m3u8"
    }

    /// Validates the tracks and renders every playlist, the multivariant one first.
    public func build(_ tracks: [SegmentedTrack], subtitles: [TextRendition] = []) throws(ManifestError)
        -> [(name: String, contents: String)]
    {
        try ManifestBuilder.checkFileName(presentation, context: "presentation")
        let groups = try ManifestBuilder(presentation: presentation, options: .init(allowGaps: false))
            .group(tracks.map(\.track))
        var names: Set<String> = [fileName]
        var media: [(name: String, contents: String)] = []
        for (i, t) in tracks.enumerated() {
            let context = "track[\(i)] \(t.track.source)"
            try t.validate(context: context)
            let name = Self.mediaPlaylistName(for: t.track.source)
            guard names.insert(name).inserted else {
                throw ManifestError(.invalidTrack, context, "media playlist name \(name) is already taken")
            }
            media.append((name, mediaPlaylist(t)))
        }
        for s in subtitles {
            guard names.insert(s.hlsPlaylist).inserted else {
                throw ManifestError(.invalidTrack, s.name, "media playlist name \(s.hlsPlaylist) is already taken")
            }
            media.append((s.hlsPlaylist, s.hlsMediaPlaylist()))
        }
        let main = TextRendition.addingSubtitles(try multivariant(groups: groups, tracks: tracks), subtitles)
        return [(fileName, main)] + media
    }

    /// One file's playlist. `EXT-X-TARGETDURATION` is the longest segment rounded up.
    func mediaPlaylist(_ t: SegmentedTrack) -> String {
        let file = RelativeURI.encode(t.track.source)
        let longest = t.track.fragments.map(\.duration).max() ?? 0
        let target = (longest + Clock.timescale - 1) / Clock.timescale
        var lines = [
            "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS",
            "#EXT-X-MAP:URI=\"\(file)\",BYTERANGE=\"\(Self.byteRange(t.initialization))\"",
        ]
        for (f, r) in zip(t.track.fragments, t.segments) {
            lines += ["#EXTINF:\(Ticks.seconds(f.duration)),", "#EXT-X-BYTERANGE:\(Self.byteRange(r))", file]
        }
        lines.append("#EXT-X-ENDLIST")
        return lines.joined(separator: "\n") + "\n"
    }

    func multivariant(groups: [ManifestBuilder.Group], tracks: [SegmentedTrack]) throws(ManifestError) -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
        let audio = groups.filter { $0.kind == .audio }.flatMap(\.tracks)
        let video = groups.filter { $0.kind == .video }.flatMap(\.tracks)
        if video.isEmpty {
            for (offset, t) in audio {
                let s = tracks[offset]
                lines.append(
                    "#EXT-X-STREAM-INF:BANDWIDTH=\(s.peakBitrate),AVERAGE-BANDWIDTH=\(s.averageBitrate),"
                        + "CODECS=\"\(try CodecStrings.codecs(t.codec))\"")
                lines.append(RelativeURI.encode(Self.mediaPlaylistName(for: t.source)))
            }
            return lines.joined(separator: "\n") + "\n"
        }
        var audioCodecs: [String] = []
        for (n, (offset, t)) in audio.enumerated() {
            guard case .audio(let a) = t.codec else { continue }
            let codecs = try CodecStrings.codecs(t.codec)
            if !audioCodecs.contains(codecs) { audioCodecs.append(codecs) }
            let group = groups.first { g in g.tracks.contains { $0.offset == offset } }?.name ?? "audio"
            let name = audio.count > 1 ? "\(group) \(t.bitrate / 1000) kb/s" : group
            var attributes = ["TYPE=AUDIO", "GROUP-ID=\"audio\"", "NAME=\"\(Self.quotedSafe(name))\""]
            if let l = t.language { attributes.append("LANGUAGE=\"\(l)\"") }
            attributes += [
                "DEFAULT=\(n == 0 ? "YES" : "NO")", "AUTOSELECT=YES", "CHANNELS=\"\(a.channels)\"",
                "URI=\"\(RelativeURI.encode(Self.mediaPlaylistName(for: t.source)))\"",
            ]
            lines.append("#EXT-X-MEDIA:" + attributes.joined(separator: ","))
        }
        let audioPeak = audio.map { tracks[$0.offset].peakBitrate }.max() ?? 0
        let audioAverage = audio.map { tracks[$0.offset].averageBitrate }.max() ?? 0
        for (offset, t) in video {
            guard case .video(let v) = t.codec else { continue }
            let s = tracks[offset]
            var attributes = [
                "BANDWIDTH=\(s.peakBitrate + audioPeak)", "AVERAGE-BANDWIDTH=\(s.averageBitrate + audioAverage)",
                "CODECS=\"\(([try CodecStrings.codecs(t.codec)] + audioCodecs).joined(separator: ","))\"",
                "RESOLUTION=\(v.width)x\(v.height)",
            ]
            if let d = s.frameDuration {
                attributes.append("FRAME-RATE=" + Self.decimal(d.inverted, places: 3))
            }
            if !audio.isEmpty { attributes.append("AUDIO=\"audio\"") }
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(RelativeURI.encode(Self.mediaPlaylistName(for: t.source)))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `length@offset`.
    static func byteRange(_ r: Range<Int64>) -> String { "\(r.count)@\(r.lowerBound)" }

    /// A rational rounded to `places` decimals (`25.000`, `29.970`).
    static func decimal(_ r: Rational, places: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = (r.numerator * scale * 2 + r.denominator) / (r.denominator * 2)
        let whole = scaled / scale, fraction = String(scaled % scale)
        return "\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// Quoted-string values cannot hold `"`, CR or LF (RFC 8216 §4.2); file names never do, names might.
    static func quotedSafe(_ s: String) -> String {
        String(s.unicodeScalars.map { $0 == "\"" || $0 == "\n" || $0 == "\r" ? "_" : Character($0) })
    }
}
