/// `ContentProtection` descriptors of an encrypted presentation's MPD (docs/format.md §12.7): the common
/// `cenc` descriptor with `cenc:default_KID` (ISO/IEC 23009-1 §5.8.5.2, ISO/IEC 23001-7 §11.2), PlayReady's
/// (`urn:uuid:9a04f079-…`, `value="MSPR 2.0"`, with `cenc:pssh` and `mspr:pro`) and W3C ClearKey's
/// (`urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e`), on every AdaptationSet.
public struct MPDProtection: Sendable, Equatable {
    /// Default KID of the video and of the audio tracks, lower-case UUID text.
    public var videoKID: String
    public var audioKID: String
    /// The PlayReady `pssh` box and the PlayReady Object, base64.
    public var playReadyPSSH: String
    public var playReadyObject: String

    public init(videoKID: String, audioKID: String, playReadyPSSH: String, playReadyObject: String) {
        self.videoKID = videoKID
        self.audioKID = audioKID
        self.playReadyPSSH = playReadyPSSH
        self.playReadyObject = playReadyObject
    }

    static let namespaces: [XMLWriter.Attribute] = [
        .init("xmlns:cenc", "urn:mpeg:cenc:2013"), .init("xmlns:mspr", "urn:microsoft:playready"),
    ]

    func elements(video: Bool) -> [XMLWriter.Element] {
        var pssh = XMLWriter.Element("cenc:pssh")
        pssh.text = playReadyPSSH
        var pro = XMLWriter.Element("mspr:pro")
        pro.text = playReadyObject
        return [
            .init("ContentProtection", [
                .init("schemeIdUri", "urn:mpeg:dash:mp4protection:2011"), .init("value", "cenc"),
                .init("cenc:default_KID", video ? videoKID : audioKID),
            ]),
            .init("ContentProtection", [
                .init("schemeIdUri", "urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95"), .init("value", "MSPR 2.0"),
            ], children: [pssh, pro]),
            .init("ContentProtection", [
                .init("schemeIdUri", "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"), .init("value", "ClearKey1.0"),
            ]),
        ]
    }
}
