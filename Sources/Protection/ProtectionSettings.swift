public import ISOBMFF

/// How a presentation is encrypted (docs/format.md §12): `cenc` with one key for every track or one for
/// video and one for audio, signalled for PlayReady (and, in the MPD, for any CENC and ClearKey client).
/// Equatable and Sendable so it can sit in the pipeline options; its text form names only the KIDs.
public struct ProtectionSettings: Sendable, Hashable, CustomStringConvertible {
    public var video: ContentKey
    public var audio: ContentKey
    /// PlayReady licence acquisition URL written into the WRMHEADER (`LA_URL`); nil leaves it out.
    public var licenseURL: String?

    public init(video: ContentKey, audio: ContentKey? = nil, licenseURL: String? = nil) throws(ProtectionError) {
        let audio = audio ?? video
        if audio.kid == video.kid && audio.key != video.key {
            throw .invalidSettings("video and audio use KID \(video.kid) with two different keys")
        }
        if let url = licenseURL {
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), !url.contains(where: { $0.isWhitespace }) else {
                throw .invalidSettings("--la-url must be an http(s) URL without spaces")
            }
        }
        self.video = video
        self.audio = audio
        self.licenseURL = licenseURL
    }

    /// Settings from `--key` arguments: one `KID:KEY` for every track, or two (video first, then audio).
    public init(keyArguments: [String], licenseURL: String?) throws(ProtectionError) {
        guard (1...2).contains(keyArguments.count) else {
            throw .invalidSettings("give --key once (all tracks) or twice (video, then audio); got \(keyArguments.count)")
        }
        let keys = try keyArguments.map { (k) throws(ProtectionError) in try ContentKey(argument: k) }
        try self.init(video: keys[0], audio: keys.count > 1 ? keys[1] : nil, licenseURL: licenseURL)
    }

    /// Settings whose keys are Microsoft's test server keys for the given KIDs (``PlayReady/testKey(for:)``);
    /// the licence URL defaults to the test server.
    public init(playReadyTestKIDs kids: [KeyID], licenseURL: String?) throws(ProtectionError) {
        guard let first = kids.first, kids.count <= 2 else {
            throw .invalidSettings("--playready-test-key takes one KID (all tracks) or two (video, audio)")
        }
        try self.init(video: PlayReady.testKey(for: first), audio: kids.count > 1 ? PlayReady.testKey(for: kids[1]) : nil,
                      licenseURL: licenseURL ?? PlayReady.testLicenseURL)
    }

    /// The distinct keys, video first.
    public var keys: [ContentKey] { video.kid == audio.kid ? [video] : [video, audio] }

    /// The KIDs (never the keys): what the presentation version covers, and what `--json` may show.
    public var keyIDs: [KeyID] { keys.map(\.kid) }

    public var description: String { "cenc " + keyIDs.map(\.uuidString).joined(separator: ",") }

    /// Text for the version hash: scheme, KIDs and licence URL (docs/format.md §12.6).
    public var versionDescription: String {
        "protection: cenc video=\(video.kid.uuidString) audio=\(audio.kid.uuidString) la_url=\(licenseURL ?? "")"
    }

    /// The PlayReady Object for the `.ismc`, the `pssh` and the MPD.
    public func playReadyObject() throws(ProtectionError) -> [UInt8] {
        try PlayReady.object(keys: keys, licenseURL: licenseURL)
    }

    /// The `pssh` boxes of every protected file: PlayReady's (version 0, the PlayReady Object as data).
    public func psshBoxes() throws(ProtectionError) -> [PsshBox] {
        [PsshBox(systemID: PlayReady.systemID, data: try playReadyObject())]
    }

    /// A sample encryptor for one file of the presentation.
    public func encryptor(video isVideo: Bool, ivSeed: [UInt8]?) throws(ProtectionError) -> CencSampleEncryptor {
        CencSampleEncryptor(key: isVideo ? video : audio, pssh: try psshBoxes(), ivSeed: ivSeed)
    }
}
