internal import Platform
/// The `.ismc` client manifest (`SmoothStreamingMedia`), returned for `…/x.ism/Manifest`. docs/format.md §4.
///
/// Chunks are stored expanded (one ``Chunk`` per fragment with its absolute time); the XML coding of
/// `t`/`d`/`r` is derived when writing: `t` on the first chunk and after a gap, `d` on every chunk,
/// and `r` runs only when `minorVersion == 2` ([MS-SSTR] forbids `r` in 2.0 manifests).
public struct ClientManifest: Sendable, Equatable {
    /// `MajorVersion`; 2 is the only legal value.
    public var majorVersion: Int
    /// `MinorVersion`: 0 (no `r`), or 2 (runs of equal durations written with `r`).
    public var minorVersion: Int
    /// `TimeScale` of the presentation (10 000 000).
    public var timeScale: Int64
    /// `Duration`: max over streams of last `t` + last `d`.
    public var duration: Int64
    /// One per media type / audio rendition group.
    public var streams: [StreamIndex]
    /// `<Protection>` headers of an encrypted presentation (docs/format.md §12.6); empty when clear.
    /// Written, not read back (``init(xml:limits:)`` skips the element).
    public var protection: [ProtectionHeader] = []

    /// Creates a client manifest.
    public init(majorVersion: Int = 2, minorVersion: Int = 0, timeScale: Int64 = 10_000_000, duration: Int64,
                streams: [StreamIndex]) {
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.timeScale = timeScale
        self.duration = duration
        self.streams = streams
    }

    /// Whether the writer codes runs of equal durations with `r` (MinorVersion 2).
    public var usesRepeatCoding: Bool { majorVersion == 2 && minorVersion == 2 }
}

/// The `Type` of a `StreamIndex`.
public typealias StreamType = MediaKind

/// One `StreamIndex`: a media stream with one `c` list shared by its quality levels.
public struct StreamIndex: Sendable, Equatable {
    /// The default URL template for a stream name, in the exact spelling dash.js substitutes.
    public static func defaultURL(name: String) -> String {
        "QualityLevels({bitrate})/Fragments(\(name)={start time})"
    }

    /// `Type`: `video` or `audio`.
    public var type: StreamType
    /// `Name`, the word inside `Fragments(…=)`.
    public var name: String
    /// `Subtype` of a text stream: `CAPT` (captions) or `SUBT` (subtitles).
    public var subtype: String?
    /// `Language` (ISO 639-2), audio only in practice.
    public var language: String?
    /// `TimeScale` (10 000 000).
    public var timeScale: Int64?
    /// `Url` template.
    public var url: String
    /// Video only: largest coded width over the quality levels.
    public var maxWidth: Int?
    /// Video only: largest coded height over the quality levels.
    public var maxHeight: Int?
    /// Video only: intended display width (coded width × sample aspect ratio of the largest rung).
    public var displayWidth: Int?
    /// Video only: intended display height.
    public var displayHeight: Int?
    /// `QualityLevel` children.
    public var qualityLevels: [QualityLevel]
    /// All fragments, expanded.
    public var chunks: [Chunk]

    /// Creates a stream index.
    public init(type: StreamType, subtype: String? = nil, name: String, language: String? = nil, timeScale: Int64? = 10_000_000,
                url: String? = nil, maxWidth: Int? = nil, maxHeight: Int? = nil, displayWidth: Int? = nil,
                displayHeight: Int? = nil, qualityLevels: [QualityLevel], chunks: [Chunk]) {
        self.type = type
        self.subtype = subtype
        self.name = name
        self.language = language
        self.timeScale = timeScale
        self.url = url ?? Self.defaultURL(name: name)
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.displayWidth = displayWidth
        self.displayHeight = displayHeight
        self.qualityLevels = qualityLevels
        self.chunks = chunks
    }

    /// End of the last chunk (0 when there is none).
    public var end: Int64 { chunks.last?.end ?? 0 }
}

/// One `QualityLevel` (a bitrate rung of a stream). docs/format.md §4.3.
public struct QualityLevel: Sendable, Equatable {
    /// `Index`, 0-based position in the StreamIndex.
    public var index: Int
    /// `Bitrate`, decimal bps.
    public var bitrate: Int
    /// `FourCC`: `H264` or `AACL`.
    public var fourCC: String
    /// Video: coded width of this rung.
    public var maxWidth: Int?
    /// Video: coded height of this rung.
    public var maxHeight: Int?
    /// `CodecPrivateData` bytes, written as upper-case hex.
    public var codecPrivateData: [UInt8]
    /// Video: `NALUnitLengthField` (4).
    public var nalUnitLengthField: Int?
    /// Audio: `SamplingRate` in Hz.
    public var samplingRate: Int?
    /// Audio: `Channels`.
    public var channels: Int?
    /// Audio: `BitsPerSample` (16).
    public var bitsPerSample: Int?
    /// Audio: `PacketSize` (4 for AAC).
    public var packetSize: Int?
    /// Audio: `AudioTag` (255 = AAC).
    public var audioTag: Int?

    /// Creates a quality level.
    public init(index: Int, bitrate: Int, fourCC: String, maxWidth: Int? = nil, maxHeight: Int? = nil,
                codecPrivateData: [UInt8], nalUnitLengthField: Int? = nil, samplingRate: Int? = nil,
                channels: Int? = nil, bitsPerSample: Int? = nil, packetSize: Int? = nil, audioTag: Int? = nil) {
        self.index = index
        self.bitrate = bitrate
        self.fourCC = fourCC
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.codecPrivateData = codecPrivateData
        self.nalUnitLengthField = nalUnitLengthField
        self.samplingRate = samplingRate
        self.channels = channels
        self.bitsPerSample = bitsPerSample
        self.packetSize = packetSize
        self.audioTag = audioTag
    }
}

/// One fragment of a stream, expanded: absolute start time and duration (10 MHz units).
public typealias Chunk = FragmentTiming

extension ClientManifest {
    /// The XML element tree, attributes in the order of the example of docs/format.md §4.6.
    public var xmlElement: XMLWriter.Element {
        XMLWriter.Element("SmoothStreamingMedia", [
            .init("MajorVersion", String(majorVersion)),
            .init("MinorVersion", String(minorVersion)),
            .init("TimeScale", String(timeScale)),
            .init("Duration", String(duration)),
        ], children: protectionElements + streams.map { $0.xmlElement(repeatCoding: usesRepeatCoding) })
    }

    /// `<Protection>` with one `<ProtectionHeader SystemID=…>` per DRM system, before the streams (MS-SSTR
    /// §2.2.2.2); nothing when clear.
    var protectionElements: [XMLWriter.Element] {
        guard !protection.isEmpty else { return [] }
        return [XMLWriter.Element("Protection", children: protection.map {
            var e = XMLWriter.Element("ProtectionHeader", [.init("SystemID", $0.systemID)])
            e.text = $0.data
            return e
        })]
    }

    /// The `.ismc` document text (UTF-8, declaration, 2-space indentation).
    public func xml() -> String { XMLWriter().document(xmlElement) }

    /// The `.ismc` document as UTF-8 bytes.
    public func xmlBytes() -> [UInt8] { Array(xml().utf8) }
}

extension StreamIndex {
    /// The element; `repeatCoding` collapses runs of equal `d` into `r` (MinorVersion 2 only).
    func xmlElement(repeatCoding: Bool) -> XMLWriter.Element {
        let attributes: [XMLWriter.Attribute] = [
            .init("Type", type.rawValue),
            .init("Subtype", subtype),
            .init("Name", name),
            .init("Language", language),
            .init("Chunks", String(chunks.count)),
            .init("QualityLevels", String(qualityLevels.count)),
            .init("TimeScale", timeScale.map { String($0) }),
            .init("MaxWidth", maxWidth.map { String($0) }),
            .init("MaxHeight", maxHeight.map { String($0) }),
            .init("DisplayWidth", displayWidth.map { String($0) }),
            .init("DisplayHeight", displayHeight.map { String($0) }),
            .init("Url", url),
        ]
        let levels = qualityLevels.map(\.xmlElement)
        let cs = Self.chunkElements(chunks, repeatCoding: repeatCoding)
        return XMLWriter.Element("StreamIndex", attributes, children: levels + cs)
    }

    /// `c` elements: `t` on the first and wherever the previous end differs from this start (a gap),
    /// `d` always; with `repeatCoding`, consecutive contiguous chunks of equal `d` share one `c` with
    /// `r` = total count (one-based), written only when > 1.
    static func chunkElements(_ chunks: [Chunk], repeatCoding: Bool) -> [XMLWriter.Element] {
        var out: [XMLWriter.Element] = []
        var i = 0
        while i < chunks.count {
            let c = chunks[i]
            let needsTime = i == 0 || chunks[i - 1].end != c.time
            var run = 1
            if repeatCoding {
                while i + run < chunks.count, chunks[i + run].duration == c.duration,
                      chunks[i + run - 1].end == chunks[i + run].time {
                    run += 1
                }
            }
            out.append(XMLWriter.Element("c", [
                .init("t", needsTime ? String(c.time) : nil),
                .init("d", String(c.duration)),
                .init("r", run > 1 ? String(run) : nil),
            ]))
            i += run
        }
        return out
    }
}

extension QualityLevel {
    var xmlElement: XMLWriter.Element {
        XMLWriter.Element("QualityLevel", [
            .init("Index", String(index)),
            .init("Bitrate", String(bitrate)),
            .init("FourCC", fourCC),
            .init("MaxWidth", maxWidth.map { String($0) }),
            .init("MaxHeight", maxHeight.map { String($0) }),
            .init("SamplingRate", samplingRate.map { String($0) }),
            .init("Channels", channels.map { String($0) }),
            .init("BitsPerSample", bitsPerSample.map { String($0) }),
            .init("PacketSize", packetSize.map { String($0) }),
            .init("AudioTag", audioTag.map { String($0) }),
            .init("CodecPrivateData", Hex.upper(codecPrivateData)),
            .init("NALUnitLengthField", nalUnitLengthField.map { String($0) }),
        ])
    }
}


/// One `ProtectionHeader` of the `.ismc`: a DRM system ID (text form, e.g. PlayReady's
/// `9A04F079-9840-4286-AB92-E65BE0885F95`) and its header data in base64 (PlayReady: the PlayReady Object).
public struct ProtectionHeader: Sendable, Equatable {
    public var systemID: String
    public var data: String

    public init(systemID: String, data: String) {
        self.systemID = systemID
        self.data = data
    }
}
