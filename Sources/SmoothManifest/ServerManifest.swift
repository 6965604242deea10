/// The `.ism` server manifest (SMIL 2.0): which file and track serves each `QualityLevels(B)/Fragments(name=T)`.
/// docs/format.md §3.
public struct ServerManifest: Sendable, Equatable {
    /// The SMIL 2.0 namespace of the root element.
    public static let namespace = "http://www.w3.org/2001/SMIL20/Language"

    /// One `<meta name content/>` of `<head>`.
    public struct Meta: Sendable, Equatable {
        /// `name` attribute.
        public var name: String
        /// `content` attribute.
        public var content: String
        /// Creates a meta entry.
        public init(name: String, content: String) {
            self.name = name
            self.content = content
        }
    }

    /// One `<param name value valuetype="data"/>` not otherwise modelled.
    public struct Param: Sendable, Equatable {
        /// `name` attribute.
        public var name: String
        /// `value` attribute.
        public var value: String
        /// Creates a param.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One `<video>` / `<audio>` element of `<switch>`.
    public struct Track: Sendable, Equatable {
        /// Element name: `video`, `audio` or (for `.text`) `textstream`.
        public var kind: MediaKind
        /// Media file path relative to the `.ism`.
        public var src: String
        /// Decimal bps, identical to the `.ismc` `Bitrate`.
        public var systemBitrate: Int
        /// ISO 639-2 language, informative.
        public var systemLanguage: String?
        /// `trackID` param: the track inside `src`.
        public var trackID: Int
        /// `trackName` param, when written; the effective name is ``name``.
        public var trackName: String?
        /// Any other params, in document order (written after trackID/trackName).
        public var otherParams: [Param]

        /// Creates a track element.
        public init(kind: MediaKind, src: String, systemBitrate: Int, systemLanguage: String? = nil, trackID: Int,
                    trackName: String? = nil, otherParams: [Param] = []) {
            self.kind = kind
            self.src = src
            self.systemBitrate = systemBitrate
            self.systemLanguage = systemLanguage
            self.trackID = trackID
            self.trackName = trackName
            self.otherParams = otherParams
        }

        /// The name clients put in `Fragments(<name>=…)`: `trackName`, else `video` / `audio`.
        public var name: String { trackName ?? kind.rawValue }
    }

    /// `<head>` meta entries in order; on-demand manifests carry `clientManifestRelativePath`.
    public var meta: [Meta]
    /// `<switch>` children in order.
    public var tracks: [Track]

    /// Creates a server manifest.
    public init(meta: [Meta], tracks: [Track]) {
        self.meta = meta
        self.tracks = tracks
    }

    /// Creates the usual on-demand server manifest naming its `.ismc`.
    public init(clientManifestRelativePath: String, tracks: [Track]) {
        self.init(meta: [Meta(name: "clientManifestRelativePath", content: clientManifestRelativePath)], tracks: tracks)
    }

    /// The `clientManifestRelativePath` meta content, if present.
    public var clientManifestRelativePath: String? {
        meta.first { $0.name == "clientManifestRelativePath" }?.content
    }

    /// The track serving `QualityLevels(bitrate)/Fragments(name=…)`: same `systemBitrate` and same
    /// effective name (``Track/name``). Nil when none matches. This is the origin's lookup.
    public func track(bitrate: Int, name: String) -> Track? {
        tracks.first { $0.systemBitrate == bitrate && $0.name == name }
    }

    /// The XML element tree, attributes in the order of the example of docs/format.md §4.6.
    public var xmlElement: XMLWriter.Element {
        let head = XMLWriter.Element("head", children: meta.map {
            XMLWriter.Element("meta", [.init("name", $0.name), .init("content", $0.content)])
        })
        let items = tracks.map { t in
            var params = [Param(name: "trackID", value: String(t.trackID))]
            if let n = t.trackName { params.append(Param(name: "trackName", value: n)) }
            params += t.otherParams
            return XMLWriter.Element(t.kind == .text ? "textstream" : t.kind.rawValue, [
                .init("src", t.src),
                .init("systemBitrate", String(t.systemBitrate)),
                .init("systemLanguage", t.systemLanguage),
            ], children: params.map {
                XMLWriter.Element("param", [.init("name", $0.name), .init("value", $0.value), .init("valuetype", "data")])
            })
        }
        let body = XMLWriter.Element("body", children: [XMLWriter.Element("switch", children: items)])
        return XMLWriter.Element("smil", [.init("xmlns", Self.namespace)], children: [head, body])
    }

    /// The `.ism` document text (UTF-8, declaration, 2-space indentation).
    public func xml() -> String { XMLWriter().document(xmlElement) }

    /// The `.ism` document as UTF-8 bytes.
    public func xmlBytes() -> [UInt8] { Array(xml().utf8) }
}
