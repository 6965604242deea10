internal import Foundation
internal import ISOBMFF
internal import Protection
internal import SmoothManifest

/// The pipeline's side of Common Encryption (docs/format.md §12): one encryptor per media file, the
/// `.ismc` ProtectionHeader and the MPD's ContentProtection, all from `PackagerOptions.protection`.
enum ProtectedOutput {
    /// Why an encrypted presentation has no HLS playlists (reported in the result and by the CLI).
    static let hlsNote = "HLS playlists are not written for encrypted output: Apple players need cbcs with FairPlay, "
        + "this is cenc with PlayReady"

    /// The sample encryptor for `file`, or nil for clear output. IVs start from a hash of the version and
    /// the file name (docs/format.md §12.3).
    static func encryptor(_ options: PackagerOptions, video: Bool, version: String, file: String) throws
        -> (any SampleProtector)?
    {
        guard let p = options.protection else { return nil }
        return try p.encryptor(video: video, ivSeed: Array("\(version)/\(file)".utf8))
    }

    /// `<Protection>` of the `.ismc`: PlayReady's header.
    static func smoothHeaders(_ p: ProtectionSettings) throws -> [ProtectionHeader] {
        [ProtectionHeader(systemID: PlayReady.systemIDString, data: Data(try p.playReadyObject()).base64EncodedString())]
    }

    /// The MPD's ContentProtection values.
    static func dash(_ p: ProtectionSettings) throws -> MPDProtection {
        let pssh = try p.psshBoxes().reduce(into: [UInt8]()) { $0 += try $1.encoded() }
        return MPDProtection(videoKID: p.video.kid.uuidString, audioKID: p.audio.kid.uuidString,
                             playReadyPSSH: Data(pssh).base64EncodedString(),
                             playReadyObject: Data(try p.playReadyObject()).base64EncodedString())
    }
}

extension Presentation {
    /// With the key IDs and the no-HLS note of an encrypted presentation (also for one already published:
    /// the version covers the KIDs, so they are these).
    func describingProtection(_ options: PackagerOptions) -> Presentation {
        guard let p = options.protection else { return self }
        var copy = self
        copy.keyIDs = p.keyIDs.map(\.uuidString)
        copy.notes = options.formats.contains(.hls) ? [ProtectedOutput.hlsNote] : []
        return copy
    }
}
