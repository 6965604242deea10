internal import MediaCore

/// A caption/subtitle track as HLS and DASH carry it (docs/format.md "Text track"): WebVTT, not the
/// `.ismt`. HLS gets a segment playlist over byte ranges of one file of WebVTT documents (one per segment,
/// each with its `X-TIMESTAMP-MAP`), so a track is one object however long the title; DASH gets a sidecar
/// WebVTT file of every cue (`mimeType="text/vtt"`, one `BaseURL`), which dash.js, Shaka and ExoPlayer read
/// without the TTML-in-MP4 time-base question (ISO/IEC 14496-30 document times vs. sample times).
public struct TextRendition: Sendable, Equatable {
    /// Unique name (the Smooth stream name, e.g. `textstream_en`): DASH `Representation@id`.
    public var name: String
    /// BCP 47 tag.
    public var language: String
    /// Forced subtitles (HLS `FORCED=YES`, DASH role `forced-subtitle`).
    public var forced: Bool
    /// Captions for the deaf and hard of hearing (HLS accessibility characteristics, DASH role `caption`).
    public var sdh: Bool
    /// `DEFAULT=YES` in HLS.
    public var isDefault: Bool
    /// The HLS segments file (`<stem>_text_<lang>.hls.vtt`) and each segment's time and byte range in it.
    public var hlsFile: String
    public var hlsSegments: [(timing: FragmentTiming, bytes: Range<Int64>)]
    /// The HLS media playlist name.
    public var hlsPlaylist: String
    /// The DASH sidecar (`<stem>_text_<lang>.vtt`).
    public var dashFile: String

    public init(name: String, language: String, forced: Bool, sdh: Bool, isDefault: Bool, hlsFile: String,
                hlsSegments: [(timing: FragmentTiming, bytes: Range<Int64>)], hlsPlaylist: String, dashFile: String) {
        self.name = name
        self.language = language
        self.forced = forced
        self.sdh = sdh
        self.isDefault = isDefault
        self.hlsFile = hlsFile
        self.hlsSegments = hlsSegments
        self.hlsPlaylist = hlsPlaylist
        self.dashFile = dashFile
    }

    public static func == (a: TextRendition, b: TextRendition) -> Bool {
        a.name == b.name && a.language == b.language && a.forced == b.forced && a.sdh == b.sdh
            && a.isDefault == b.isDefault && a.hlsFile == b.hlsFile && a.hlsPlaylist == b.hlsPlaylist
            && a.dashFile == b.dashFile && a.hlsSegments.map(\.timing) == b.hlsSegments.map(\.timing)
            && a.hlsSegments.map(\.bytes) == b.hlsSegments.map(\.bytes)
    }

    /// The subtitle media playlist: `EXTINF` + `EXT-X-BYTERANGE` per segment of ``hlsFile``.
    public func hlsMediaPlaylist() -> String {
        let file = RelativeURI.encode(hlsFile)
        let longest = hlsSegments.map(\.timing.duration).max() ?? 0
        let target = (longest + Clock.timescale - 1) / Clock.timescale
        var lines = [
            "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:\(target)", "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
        ]
        for s in hlsSegments {
            lines += ["#EXTINF:\(Ticks.seconds(s.timing.duration)),",
                      "#EXT-X-BYTERANGE:\(s.bytes.count)@\(s.bytes.lowerBound)", file]
        }
        lines.append("#EXT-X-ENDLIST")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `EXT-X-MEDIA:TYPE=SUBTITLES` line (group `subs`).
    var hlsMediaLine: String {
        var label = language
        if forced { label += " (forced)" } else if sdh { label += " (SDH)" }
        var attributes = [
            "TYPE=SUBTITLES", "GROUP-ID=\"subs\"", "NAME=\"\(HLSPlaylistBuilder.quotedSafe(label))\"",
            "LANGUAGE=\"\(HLSPlaylistBuilder.quotedSafe(language))\"", "DEFAULT=\(isDefault ? "YES" : "NO")",
            "AUTOSELECT=YES", "FORCED=\(forced ? "YES" : "NO")",
        ]
        if sdh {
            attributes.append(
                "CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound\"")
        }
        attributes.append("URI=\"\(RelativeURI.encode(hlsPlaylist))\"")
        return "#EXT-X-MEDIA:" + attributes.joined(separator: ",")
    }

    /// The multivariant playlist with the subtitle renditions listed after the header and `SUBTITLES="subs"`
    /// on every variant.
    static func addingSubtitles(_ multivariant: String, _ subtitles: [TextRendition]) -> String {
        guard !subtitles.isEmpty else { return multivariant }
        var lines = multivariant.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let insertAt = (lines.firstIndex { !$0.hasPrefix("#EXTM3U") && !$0.hasPrefix("#EXT-X-VERSION")
            && !$0.hasPrefix("#EXT-X-INDEPENDENT-SEGMENTS") }) ?? lines.count
        for k in lines.indices where lines[k].hasPrefix("#EXT-X-STREAM-INF:") { lines[k] += ",SUBTITLES=\"subs\"" }
        lines.insert(contentsOf: subtitles.map(\.hlsMediaLine), at: insertAt)
        return lines.joined(separator: "\n")
    }

    /// The DASH AdaptationSet of the sidecar.
    static func adaptationSet(_ t: TextRendition, id: Int) -> XMLWriter.Element {
        let role = t.forced ? "forced-subtitle" : t.sdh ? "caption" : "subtitle"
        return .init("AdaptationSet", [
            .init("id", "\(id)"), .init("contentType", "text"), .init("mimeType", "text/vtt"), .init("lang", t.language),
        ], children: [
            .init("Role", [.init("schemeIdUri", "urn:mpeg:dash:role:2011"), .init("value", role)]),
            .init("Representation", [.init("id", t.name), .init("bandwidth", "1000")], children: [
                { var e = XMLWriter.Element("BaseURL"); e.text = RelativeURI.encode(t.dashFile); return e }(),
            ]),
        ])
    }
}
