internal import Platform
public import MediaCore

/// RFC 6381 `codecs` strings for DASH `@codecs` and HLS `CODECS`, taken from the real decoder
/// configuration rather than from the profile: `avc1.PPCCLL` from SPS bytes 1…3 and `mp4a.40.N`
/// from the AudioSpecificConfig's audioObjectType.
public enum CodecStrings {
    /// `avc1.` + profile_idc, constraint flags and level_idc of the SPS as six upper-case hex digits.
    public static func codecs(_ v: VideoCodecConfig) throws(ManifestError) -> String {
        guard v.sps.count >= 4 else {
            throw ManifestError(.invalidCodecPrivateData, "SPS", "SPS of \(v.sps.count) bytes has no profile/level")
        }
        return "avc1." + Hex.upper([v.profileIndication, v.profileCompatibility, v.levelIndication])
    }

    /// `mp4a.40.` + the audioObjectType (5 bits, 31 escapes to 32 + the next 6 bits; ISO/IEC 14496-3 §1.6.2.1).
    public static func codecs(_ a: AudioCodecConfig) throws(ManifestError) -> String {
        let asc = a.audioSpecificConfig
        guard let first = asc.first else {
            throw ManifestError(.invalidAudioConfig, "AudioSpecificConfig", "AudioSpecificConfig is empty")
        }
        var objectType = Int(first >> 3)
        if objectType == 31 {
            guard asc.count >= 2 else {
                throw ManifestError(.invalidAudioConfig, "AudioSpecificConfig", "escaped audioObjectType is cut off")
            }
            objectType = 32 + Int((first & 0x07) << 3 | asc[1] >> 5)
        }
        guard objectType > 0 else {
            throw ManifestError(.invalidAudioConfig, "AudioSpecificConfig", "audioObjectType 0 is not a codec")
        }
        return "mp4a.40.\(objectType)"
    }

    /// The string for either kind.
    public static func codecs(_ c: CodecConfig) throws(ManifestError) -> String {
        switch c {
        case .video(let v): return try codecs(v)
        case .audio(let a): return try codecs(a)
        }
    }
}
