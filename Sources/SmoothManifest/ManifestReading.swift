internal import Platform
/// Attribute parsing shared by the `.ism` and `.ismc` readers.
struct AttributeReader {
    let node: XMLNode
    let context: String

    func string(_ name: String) throws(ManifestError) -> String {
        guard let v = node.attribute(name) else {
            throw ManifestError(.missingAttribute, context, "\(node.name) has no \(name) attribute")
        }
        return v
    }

    /// Strict non-negative decimal (digits only, at most 18 digits so any value fits Int64).
    static func decimal(_ s: String) -> Int64? {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 18, u.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int64(s)
    }

    func int64(_ name: String, in range: ClosedRange<Int64> = 0...Int64.max) throws(ManifestError) -> Int64 {
        let s = try string(name)
        guard let v = Self.decimal(s), range.contains(v) else {
            throw ManifestError(.invalidAttribute, context, "\(name)=\"\(s.prefix(40))\" is not a decimal in \(range)")
        }
        return v
    }

    func int(_ name: String, in range: ClosedRange<Int64> = 0...Int64(Int32.max)) throws(ManifestError) -> Int {
        Int(try int64(name, in: range))
    }

    func optionalInt64(_ name: String, in range: ClosedRange<Int64> = 0...Int64.max) throws(ManifestError) -> Int64? {
        node.attribute(name) == nil ? nil : try int64(name, in: range)
    }

    func optionalInt(_ name: String, in range: ClosedRange<Int64> = 0...Int64(Int32.max)) throws(ManifestError) -> Int? {
        node.attribute(name) == nil ? nil : try int(name, in: range)
    }
}

extension ServerManifest {
    /// Reads a `.ism` (SMIL 2.0; a namespace prefix on the elements is accepted). Never traps on bad
    /// input: throws ``ManifestError`` (`.malformedXML`, `.limitExceeded`, `.unexpectedElement`,
    /// `.missingAttribute`, `.invalidAttribute`). Elements other than `meta`, `video`, `audio`, `textstream`
    /// and `param` are skipped.
    public init(xml data: some Collection<UInt8>, limits: ReadLimits = ReadLimits()) throws(ManifestError) {
        let root = try XMLReader.parse(data, limits: limits)
        guard root.localName == "smil" else {
            throw ManifestError(.unexpectedElement, "root", "root element is <\(root.name)>, expected <smil>")
        }
        var meta: [Meta] = []
        var tracks: [Track] = []
        for part in root.children {
            switch part.localName {
            case "head":
                for m in part.children where m.localName == "meta" {
                    let a = AttributeReader(node: m, context: "smil/head/meta")
                    meta.append(Meta(name: try a.string("name"), content: try a.string("content")))
                }
            case "body":
                for sw in part.children where sw.localName == "switch" {
                    for (k, item) in sw.children.enumerated() {
                        let element = String(item.localName)
                        guard let kind = element == "textstream" ? .text : MediaKind(rawValue: element), element != "text"
                        else { continue }
                        tracks.append(try Self.track(item, kind: kind, context: "smil/body/switch/\(kind.rawValue)[\(k)]"))
                    }
                }
            default:
                continue
            }
        }
        self.init(meta: meta, tracks: tracks)
    }

    private static func track(_ n: XMLNode, kind: MediaKind, context: String) throws(ManifestError) -> Track {
        let a = AttributeReader(node: n, context: context)
        let src = try a.string("src")
        let bitrate = try a.int64("systemBitrate", in: 1...Int64.max)
        var trackID: Int?
        var trackName: String?
        var others: [Param] = []
        for p in n.children where p.localName == "param" {
            let pa = AttributeReader(node: p, context: context + "/param")
            let name = try pa.string("name")
            let value = try pa.string("value")
            switch name {
            case "trackID":
                guard let v = AttributeReader.decimal(value), v >= 1, v <= Int64(UInt32.max) else {
                    throw ManifestError(.invalidAttribute, context, "trackID \"\(value.prefix(40))\" is not a track_ID")
                }
                trackID = Int(v)
            case "trackName":
                trackName = value
            default:
                others.append(Param(name: name, value: value))
            }
        }
        guard let trackID else { throw ManifestError(.missingAttribute, context, "no trackID param") }
        return Track(kind: kind, src: src, systemBitrate: Int(bitrate), systemLanguage: n.attribute("systemLanguage"),
                     trackID: trackID, trackName: trackName, otherParams: others)
    }
}

extension ClientManifest {
    /// Reads a `.ismc`, expanding `r` and implicit `t`/`d` into absolute chunks. Never traps on bad
    /// input: throws ``ManifestError``. Checks `Chunks` and `QualityLevels` against the children, fragment
    /// times against overlap/overflow, and the fragment counts against ``ReadLimits/maxChunksPerStream``
    /// (each stream) and ``ReadLimits/maxChunks`` (all streams).
    /// `StreamIndex` elements of other types (e.g. `text`) are refused with `.invalidAttribute`.
    public init(xml data: some Collection<UInt8>, limits: ReadLimits = ReadLimits()) throws(ManifestError) {
        let root = try XMLReader.parse(data, limits: limits)
        guard root.name == "SmoothStreamingMedia" else {
            throw ManifestError(.unexpectedElement, "root", "root element is <\(root.name)>, expected <SmoothStreamingMedia>")
        }
        let a = AttributeReader(node: root, context: "SmoothStreamingMedia")
        let major = try a.int("MajorVersion")
        let minor = try a.int("MinorVersion")
        let timeScale = try a.optionalInt64("TimeScale", in: 1...Int64.max) ?? 10_000_000
        let duration = try a.int64("Duration")
        var streams: [StreamIndex] = []
        var chunks = 0
        for (k, s) in root.children.enumerated() where s.name == "StreamIndex" {
            let limit = min(limits.maxChunksPerStream, max(0, limits.maxChunks - chunks))
            let stream = try Self.stream(s, context: "StreamIndex[\(k)]", limit: limit)
            chunks += stream.chunks.count
            streams.append(stream)
        }
        self.init(majorVersion: major, minorVersion: minor, timeScale: timeScale, duration: duration, streams: streams)
    }

    /// One StreamIndex; `limit` is the most fragments it may expand to (per-stream and document caps).
    private static func stream(_ n: XMLNode, context: String, limit: Int) throws(ManifestError) -> StreamIndex {
        let a = AttributeReader(node: n, context: context)
        let typeText = try a.string("Type")
        guard let type = StreamType(rawValue: typeText) else {
            throw ManifestError(.invalidAttribute, context, "Type \"\(typeText.prefix(40))\" is not video, audio or text")
        }
        let url = try a.string("Url")
        guard url.contains("{bitrate}") || url.contains("{Bitrate}"),
              url.contains("{start time}") || url.contains("{start_time}") else {
            throw ManifestError(.invalidAttribute, context, "Url has no {bitrate} or no {start time} placeholder")
        }
        let name = n.attribute("Name") ?? type.rawValue
        let ctx = "StreamIndex[\(name.prefix(40))]"
        var levels: [QualityLevel] = []
        var cs: [XMLNode] = []
        for c in n.children {
            switch c.name {
            case "QualityLevel": levels.append(try qualityLevel(c, context: "\(ctx)/QualityLevel[\(levels.count)]"))
            case "c": cs.append(c)
            default: continue
            }
        }
        let chunks = try expandChunks(cs, context: ctx, limit: limit)
        if let declared = try a.optionalInt64("Chunks"), declared != Int64(chunks.count) {
            throw ManifestError(.countMismatch, ctx, "Chunks=\(declared) but \(chunks.count) fragments are listed")
        }
        if let declared = try a.optionalInt64("QualityLevels"), declared != Int64(levels.count) {
            throw ManifestError(.countMismatch, ctx, "QualityLevels=\(declared) but \(levels.count) are listed")
        }
        return StreamIndex(type: type, subtype: n.attribute("Subtype"), name: name, language: n.attribute("Language"),
                           timeScale: try a.optionalInt64("TimeScale", in: 1...Int64.max), url: url,
                           maxWidth: try a.optionalInt("MaxWidth"), maxHeight: try a.optionalInt("MaxHeight"),
                           displayWidth: try a.optionalInt("DisplayWidth"), displayHeight: try a.optionalInt("DisplayHeight"),
                           qualityLevels: levels, chunks: chunks)
    }

    private static func qualityLevel(_ n: XMLNode, context: String) throws(ManifestError) -> QualityLevel {
        let a = AttributeReader(node: n, context: context)
        let cpdText = n.attribute("CodecPrivateData") ?? ""
        guard let cpd = Hex.decode(cpdText) else {
            throw ManifestError(.invalidAttribute, context, "CodecPrivateData is not hex")
        }
        return QualityLevel(index: try a.int("Index"), bitrate: try a.int("Bitrate", in: 1...Int64.max),
                            fourCC: n.attribute("FourCC") ?? "",
                            maxWidth: try a.optionalInt("MaxWidth"), maxHeight: try a.optionalInt("MaxHeight"),
                            codecPrivateData: cpd, nalUnitLengthField: try a.optionalInt("NALUnitLengthField"),
                            samplingRate: try a.optionalInt("SamplingRate"), channels: try a.optionalInt("Channels"),
                            bitsPerSample: try a.optionalInt("BitsPerSample"), packetSize: try a.optionalInt("PacketSize"),
                            audioTag: try a.optionalInt("AudioTag"))
    }

    /// [MS-SSTR] §2.2.2.5 / docs/format.md §4.5: implicit `t` = previous t + previous d (0 first), implicit `d` =
    /// next t − this t (the last `c` must carry `d`), `r` = total count of fragments sharing this `d`.
    static func expandChunks(_ cs: [XMLNode], context: String, limit: Int) throws(ManifestError) -> [Chunk] {
        var out: [Chunk] = []
        var next: Int64 = 0 // implicit start of the next chunk
        for (k, c) in cs.enumerated() {
            let a = AttributeReader(node: c, context: "\(context)/c[\(k)]")
            let t = try a.optionalInt64("t")
            var d = try a.optionalInt64("d", in: 1...Int64.max)
            let r = try a.optionalInt64("r", in: 1...Int64.max) ?? 1
            let start = t ?? next
            if k > 0 && start < next {
                throw ManifestError(.invalidAttribute, a.context, "t=\(start) overlaps the previous fragment ending at \(next)")
            }
            if d == nil {
                guard r == 1, k + 1 < cs.count, let nt = try AttributeReader(node: cs[k + 1], context: a.context).optionalInt64("t"),
                      nt > start else {
                    throw ManifestError(.missingAttribute, a.context, "no d and no later t to infer it from")
                }
                d = nt - start
            }
            guard let d else { throw ManifestError(.missingAttribute, a.context, "no d") }
            guard r <= Int64(limit - out.count) else {
                throw ManifestError(.limitExceeded, a.context, "more than \(limit) fragments")
            }
            var time = start
            for _ in 0..<Int(r) {
                let (end, overflow) = time.addingReportingOverflow(d)
                guard !overflow else { throw ManifestError(.invalidAttribute, a.context, "fragment end overflows") }
                out.append(Chunk(time: time, duration: d))
                time = end
            }
            next = time
        }
        return out
    }
}

/// One fragment URL a client can request, derived from a `.ismc`.
public struct FragmentReference: Sendable, Equatable {
    /// `StreamIndex` name (the word in `Fragments(<name>=…)`).
    public var streamName: String
    /// `QualityLevel` bitrate.
    public var bitrate: Int
    /// Fragment start time (10 MHz units).
    public var time: Int64
    /// Fragment duration (10 MHz units).
    public var duration: Int64
    /// The relative URL, e.g. `QualityLevels(3000000)/Fragments(video=0)`, resolved against `…/x.ism/`.
    public var path: String
}

extension ClientManifest {
    /// Every fragment URL of every quality level, in stream order, then quality level, then time.
    /// Substitutes `{bitrate}`/`{Bitrate}` and `{start time}`/`{start_time}` in each stream's `Url`.
    public func fragmentReferences() -> [FragmentReference] {
        var out: [FragmentReference] = []
        for s in streams {
            for q in s.qualityLevels {
                let withBitrate = s.url.replacing("{bitrate}", with: String(q.bitrate)).replacing("{Bitrate}", with: String(q.bitrate))
                for c in s.chunks {
                    let path = withBitrate.replacing("{start time}", with: String(c.time))
                        .replacing("{start_time}", with: String(c.time))
                    out.append(FragmentReference(streamName: s.name, bitrate: q.bitrate, time: c.time, duration: c.duration,
                                                 path: path))
                }
            }
        }
        return out
    }
}
