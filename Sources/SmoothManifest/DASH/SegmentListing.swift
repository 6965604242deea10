internal import MediaCore

/// What a DASH MPD or an HLS media playlist written by ``MPDBuilder`` / ``HLSPlaylistBuilder`` says
/// about one media file, read back with structural checks (the checks of the tests and of anyone
/// verifying an upload; no XSD validation): the file, its init range and each segment's time,
/// duration and byte range.
public struct SegmentListing: Sendable, Equatable {
    /// One segment: 10 MHz time and duration, byte range in the file.
    public struct Segment: Sendable, Equatable {
        public var time: Int64
        public var duration: Int64
        public var range: Range<Int64>
    }

    /// Representation id (DASH) or playlist name (HLS).
    public var id: String
    /// Media file URI as written (percent-encoded).
    public var file: String
    public var initialization: Range<Int64>
    public var segments: [Segment]
    /// DASH `@codecs` / `@bandwidth` (nil for HLS media playlists).
    public var codecs: String?
    public var bandwidth: Int?

    /// Every Representation of a static MPD, in document order. Checks: root `MPD` in the 2011
    /// namespace, `type="static"`, a parseable `mediaPresentationDuration`, one Period, AdaptationSets with
    /// `contentType`/`mimeType`, Representations with `id`/`bandwidth`/`codecs` and a `SegmentList`
    /// at 10 MHz holding an `Initialization@sourceURL`+`@range`, a `SegmentTimeline` and as many
    /// `SegmentURL`s (`@media`, `@mediaRange`) as timeline entries.
    public static func mpd(_ bytes: [UInt8]) throws(ManifestError) -> (duration: Int64, representations: [SegmentListing]) {
        let root = try XMLReader.parse(bytes, limits: ReadLimits())
        func fail(_ where_: String, _ what: String) -> ManifestError { ManifestError(.unexpectedElement, where_, what) }
        guard root.name == "MPD", root.attribute("xmlns") == "urn:mpeg:dash:schema:mpd:2011" else {
            throw fail("MPD", "root is \(root.name) in \(root.attribute("xmlns") ?? "no namespace")")
        }
        guard root.attribute("type") == "static" else { throw fail("MPD", "not a static MPD") }
        guard let total = root.attribute("mediaPresentationDuration").flatMap(parseDuration) else {
            throw ManifestError(.invalidAttribute, "MPD", "mediaPresentationDuration missing or not PT<seconds>S")
        }
        let periods = root.children.filter { $0.name == "Period" }
        guard periods.count == 1, let period = periods.first else { throw fail("MPD", "\(periods.count) Periods") }
        var out: [SegmentListing] = []
        for set in period.children where set.name == "AdaptationSet" {
            guard set.attribute("contentType") != nil, set.attribute("mimeType") != nil else {
                throw fail("AdaptationSet", "contentType or mimeType missing")
            }
            for rep in set.children where rep.name == "Representation" {
                guard let id = rep.attribute("id"), let bw = rep.attribute("bandwidth").flatMap({ Int($0) }),
                      let codecs = rep.attribute("codecs")
                else { throw fail("Representation", "id, bandwidth or codecs missing") }
                let lists = rep.children.filter { $0.name == "SegmentList" }
                guard lists.count == 1, let list = lists.first, list.attribute("timescale") == "\(Clock.timescale)" else {
                    throw fail("Representation[\(id)]", "needs one SegmentList at timescale \(Clock.timescale)")
                }
                guard let initial = list.children.first(where: { $0.name == "Initialization" }),
                      let file = initial.attribute("sourceURL"),
                      let initRange = initial.attribute("range").flatMap(parseRange)
                else { throw fail("Representation[\(id)]", "Initialization needs sourceURL and range") }
                guard let timeline = list.children.first(where: { $0.name == "SegmentTimeline" }) else {
                    throw fail("Representation[\(id)]", "no SegmentTimeline")
                }
                var times: [(Int64, Int64)] = []
                var next: Int64 = 0
                for s in timeline.children where s.name == "S" {
                    guard let d = s.attribute("d").flatMap({ Int64($0) }), d > 0 else {
                        throw ManifestError(.invalidAttribute, "Representation[\(id)]/S", "d missing or not positive")
                    }
                    let t = s.attribute("t").flatMap { Int64($0) } ?? next
                    let r = s.attribute("r").flatMap { Int($0) } ?? 0
                    guard (0...1_000_000).contains(r) else {
                        throw ManifestError(.invalidAttribute, "Representation[\(id)]/S", "r=\(r)")
                    }
                    for k in 0...r { times.append((t + Int64(k) * d, d)) }
                    next = t + Int64(r + 1) * d
                }
                let urls = list.children.filter { $0.name == "SegmentURL" }
                guard urls.count == times.count else {
                    throw ManifestError(.countMismatch, "Representation[\(id)]",
                                        "\(urls.count) SegmentURLs for \(times.count) timeline entries")
                }
                var segments: [Segment] = []
                for (u, (t, d)) in zip(urls, times) {
                    guard u.attribute("media") == file, let r = u.attribute("mediaRange").flatMap(parseRange) else {
                        throw fail("Representation[\(id)]/SegmentURL", "media must be \(file) with a mediaRange")
                    }
                    segments.append(Segment(time: t, duration: d, range: r))
                }
                out.append(SegmentListing(id: id, file: file, initialization: initRange, segments: segments,
                                          codecs: codecs, bandwidth: bw))
            }
        }
        return (total, out)
    }

    /// A VOD media playlist: `#EXTM3U` first, version 7, a target duration no EXTINF rounds above,
    /// `EXT-X-PLAYLIST-TYPE:VOD`, one `EXT-X-MAP` with URI and BYTERANGE, each segment an `EXTINF`,
    /// an `EXT-X-BYTERANGE` with an explicit offset and the URI, all of one file, `EXT-X-ENDLIST` last.
    public static func mediaPlaylist(_ text: String, id: String) throws(ManifestError) -> SegmentListing {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        func fail(_ what: String) -> ManifestError { ManifestError(.unexpectedElement, id, what) }
        guard lines.first == "#EXTM3U", lines.last == "#EXT-X-ENDLIST" else { throw fail("not #EXTM3U … #EXT-X-ENDLIST") }
        guard lines.contains("#EXT-X-VERSION:7"), lines.contains("#EXT-X-PLAYLIST-TYPE:VOD") else {
            throw fail("needs EXT-X-VERSION:7 and EXT-X-PLAYLIST-TYPE:VOD")
        }
        guard let target = lines.first(where: { $0.hasPrefix("#EXT-X-TARGETDURATION:") })
            .flatMap({ Int64($0.dropFirst("#EXT-X-TARGETDURATION:".count)) })
        else { throw fail("no EXT-X-TARGETDURATION") }
        guard let map = lines.first(where: { $0.hasPrefix("#EXT-X-MAP:") }),
              let file = attribute("URI", in: map), let initRange = attribute("BYTERANGE", in: map).flatMap(parseByteRange)
        else { throw fail("EXT-X-MAP needs URI and BYTERANGE") }
        var segments: [Segment] = []
        var time: Int64 = 0
        var i = 0
        while i < lines.count {
            guard lines[i].hasPrefix("#EXTINF:") else {
                i += 1
                continue
            }
            guard let d = parseSeconds(String(lines[i].dropFirst(8).prefix { $0 != "," })), d > 0 else {
                throw fail("bad \(lines[i])")
            }
            guard (d + Clock.timescale / 2) / Clock.timescale <= target else {
                throw fail("EXTINF \(lines[i]) rounds above the target duration \(target)")
            }
            guard i + 2 < lines.count, lines[i + 1].hasPrefix("#EXT-X-BYTERANGE:"),
                  let r = parseByteRange(String(lines[i + 1].dropFirst(17))), lines[i + 2] == file
            else { throw fail("segment \(segments.count) needs EXT-X-BYTERANGE:<n>@<o> and \(file)") }
            segments.append(Segment(time: time, duration: d, range: r))
            time += d
            i += 3
        }
        return SegmentListing(id: id, file: file, initialization: initRange, segments: segments, codecs: nil, bandwidth: nil)
    }

    /// `NAME="value"` or `NAME=value` from an attribute list line.
    public static func attribute(_ name: String, in line: String) -> String? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        var rest = Substring(line[line.index(after: colon)...])
        while !rest.isEmpty {
            let key = rest.prefix { $0 != "=" }
            rest = rest.dropFirst(key.count + 1)
            let value: Substring
            if rest.first == "\"" {
                value = rest.dropFirst().prefix { $0 != "\"" }
                rest = rest.dropFirst(value.count + 2)
            } else {
                value = rest.prefix { $0 != "," }
                rest = rest.dropFirst(value.count)
            }
            if key == name { return String(value) }
            if rest.first == "," { rest = rest.dropFirst() }
        }
        return nil
    }

    /// `first-last` (inclusive) as a range.
    static func parseRange(_ s: String) -> Range<Int64>? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int64(parts[0]), let b = Int64(parts[1]), a >= 0, b >= a, b < Int64.max else { return nil }
        return a..<(b + 1)
    }

    /// `length@offset` as a range.
    static func parseByteRange(_ s: String) -> Range<Int64>? {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int64(parts[0]), let o = Int64(parts[1]), n > 0, o >= 0, o <= Int64.max - n else { return nil }
        return o..<(o + n)
    }

    /// Decimal seconds with at most 7 decimals → 10 MHz ticks, exactly.
    public static func parseSeconds(_ s: String) -> Int64? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int64(parts[0]), whole >= 0, whole < 1 << 40 else { return nil }
        var ticks = whole * Clock.timescale
        if parts.count == 2 {
            let f = parts[1]
            guard !f.isEmpty, f.count <= 7, f.allSatisfy(\.isASCII), let v = Int64(f) else { return nil }
            var scale: Int64 = 1
            for _ in f.count..<7 { scale *= 10 }
            ticks += v * scale
        }
        return ticks
    }

    /// `PT<seconds>S` → ticks.
    static func parseDuration(_ s: String) -> Int64? {
        guard s.hasPrefix("PT"), s.hasSuffix("S"), s.count > 3 else { return nil }
        return parseSeconds(String(s.dropFirst(2).dropLast()))
    }
}
