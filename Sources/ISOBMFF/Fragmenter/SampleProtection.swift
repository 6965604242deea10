/// What the muxer writes for a protected track (docs/format.md §12): the `tenc` defaults and the `pssh`
/// boxes of the `moov`.
public struct TrackProtection: Sendable, Equatable {
    /// The default KID (16 bytes, text order).
    public var kid: [UInt8]
    /// Per-sample IV size: 8 or 16.
    public var ivSize: UInt8
    /// DRM system headers for the `moov` (PlayReady's, docs/format.md §12.4).
    public var pssh: [PsshBox]

    public init(kid: [UInt8], ivSize: UInt8, pssh: [PsshBox]) {
        self.kid = kid
        self.ivSize = ivSize
        self.pssh = pssh
    }
}

/// Encrypts the samples of one track as the muxer receives them (the `Protection` module's
/// `CencSampleEncryptor`). One per track; called from the muxer's task only.
public protocol SampleProtector: AnyObject {
    /// The track's `tenc`/`pssh` parameters.
    var track: TrackProtection { get }
    /// Encrypts `data` (one access unit: length-prefixed NAL units for video, one AAC frame for audio) in
    /// place and returns its IV and subsample map; the map must cover exactly `data.count` bytes.
    func protect(_ data: inout [UInt8], isVideo: Bool) throws -> SampleEncryptionEntry
}
