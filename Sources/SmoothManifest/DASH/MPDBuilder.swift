internal import MediaCore

/// Builds the static DASH MPD of a presentation over byte ranges of its `.ismv`/`.isma` files
/// (ISO/IEC 23009-1): one Period; one AdaptationSet per ``ManifestBuilder`` stream (all video rungs,
/// and each audio language or name); one Representation per file, addressed with a `SegmentList`
/// whose `Initialization@range` is the file's `ftyp`+`moov` and whose `SegmentURL@mediaRange`s are
/// the fragments' `moof`+`mdat`, timed by a `SegmentTimeline` at 10 MHz from the same fragment
/// times as the Smooth `c` elements. `mediaPresentationDuration` is the Smooth `Duration`.
///
/// `@bandwidth` is the peak segment bitrate, which with `minBufferTime` = the longest segment
/// satisfies the MPD buffer model for every segment.
public struct MPDBuilder: Sendable {
    /// Presentation stem: the MPD is `<presentation>.mpd`.
    public var presentation: String
    /// Encrypted presentations: the ContentProtection descriptors of every AdaptationSet.
    public var protection: MPDProtection?

    /// Creates a builder.
    public init(presentation: String, protection: MPDProtection? = nil) {
        self.presentation = presentation
        self.protection = protection
    }

    /// `<presentation>.mpd`.
    public var fileName: String { presentation + ".mpd" }

    /// Validates the tracks (as ``ManifestBuilder`` does, plus their byte ranges) and renders the MPD.
    public func build(_ tracks: [SegmentedTrack], text: [TextRendition] = []) throws(ManifestError) -> String {
        try ManifestBuilder.checkFileName(presentation, context: "presentation")
        let groups = try ManifestBuilder(presentation: presentation, options: .init(allowGaps: false))
            .group(tracks.map(\.track))
        for (i, t) in tracks.enumerated() { try t.validate(context: "track[\(i)] \(t.track.source)") }
        let duration = tracks.map { $0.track.fragments.last?.end ?? 0 }.max() ?? 0
        let longest = tracks.flatMap { $0.track.fragments.map(\.duration) }.max() ?? 0
        var sets: [XMLWriter.Element] = []
        for (index, g) in groups.enumerated() {
            sets.append(try adaptationSet(g, id: index, tracks: tracks))
        }
        sets += text.enumerated().map { TextRendition.adaptationSet($1, id: groups.count + $0) }
        let root = XMLWriter.Element(
            "MPD",
            [
                .init("xmlns", "urn:mpeg:dash:schema:mpd:2011"),
            ] + (protection == nil ? [] : MPDProtection.namespaces) + [
                .init("profiles", "urn:mpeg:dash:profile:isoff-main:2011"),
                .init("type", "static"),
                .init("mediaPresentationDuration", Ticks.duration(duration)),
                .init("minBufferTime", Ticks.duration(longest)),
            ],
            children: [
                .init("Period", [.init("id", "0"), .init("start", "PT0S")], children: sets)
            ])
        return XMLWriter().document(root)
    }

    func adaptationSet(_ g: ManifestBuilder.Group, id: Int, tracks: [SegmentedTrack]) throws(ManifestError)
        -> XMLWriter.Element
    {
        let video = g.kind == .video
        var representations: [XMLWriter.Element] = []
        var maxWidth = 0, maxHeight = 0
        var frameRate: String?
        for (offset, t) in g.tracks {
            let segmented = tracks[offset]
            var attributes: [XMLWriter.Attribute] = [
                .init("id", "\(g.name)-\(t.bitrate)"),
                .init("bandwidth", "\(segmented.peakBitrate)"),
                .init("codecs", try CodecStrings.codecs(t.codec)),
            ]
            var children: [XMLWriter.Element] = []
            switch t.codec {
            case .video(let v):
                maxWidth = max(maxWidth, v.width)
                maxHeight = max(maxHeight, v.height)
                let sar = v.sampleAspectRatio.isPositive ? v.sampleAspectRatio : Rational(1, 1)
                let rate = segmented.frameDuration?.framesPerSecondFraction
                frameRate = frameRate ?? rate
                attributes += [
                    .init("width", "\(v.width)"), .init("height", "\(v.height)"), .init("frameRate", rate),
                    .init("sar", "\(sar.numerator):\(sar.denominator)"),
                ]
            case .audio(let a):
                attributes.append(.init("audioSamplingRate", "\(a.sampleRate)"))
                children.append(
                    .init(
                        "AudioChannelConfiguration",
                        [
                            .init("schemeIdUri", "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"),
                            .init("value", "\(a.channels)"),
                        ]))
            }
            children.append(segmentList(segmented))
            representations.append(.init("Representation", attributes, children: children))
        }
        let language = g.tracks.first?.track.language
        return .init(
            "AdaptationSet",
            [
                .init("id", "\(id)"),
                .init("contentType", video ? "video" : "audio"),
                .init("mimeType", video ? "video/mp4" : "audio/mp4"),
                .init("lang", language),
                .init("segmentAlignment", "true"),
                .init("startWithSAP", "1"),
                .init("maxWidth", video ? "\(maxWidth)" : nil),
                .init("maxHeight", video ? "\(maxHeight)" : nil),
            ],
            children: (protection?.elements(video: video) ?? []) + representations)
    }

    /// `SegmentList` with the init range, the timeline and one `SegmentURL` per fragment. Ranges are
    /// inclusive (`first-last`) as in HTTP. The timeline has one `S` per fragment, never `r`: GStreamer's
    /// dashdemux (1.22) pairs the n-th `S` element with the n-th `SegmentURL`, so a repeat count makes
    /// it fetch the first segments again and never the last ones.
    func segmentList(_ t: SegmentedTrack) -> XMLWriter.Element {
        let file = RelativeURI.encode(t.track.source)
        let timeline: [XMLWriter.Element] = t.track.fragments.map {
            .init("S", [.init("t", "\($0.time)"), .init("d", "\($0.duration)")])
        }
        var children: [XMLWriter.Element] = [
            .init("Initialization", [.init("sourceURL", file), .init("range", Self.range(t.initialization))]),
            .init("SegmentTimeline", children: timeline),
        ]
        children += t.segments.map {
            .init("SegmentURL", [.init("media", file), .init("mediaRange", Self.range($0))])
        }
        return .init("SegmentList", [.init("timescale", "\(Clock.timescale)")], children: children)
    }

    static func range(_ r: Range<Int64>) -> String { "\(r.lowerBound)-\(r.upperBound - 1)" }
}
