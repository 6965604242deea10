public import ISOBMFF
internal import Platform

/// `cenc` (AES-128-CTR) encryption of one track's samples as the muxer writes them (ISO/IEC 23001-7 §9.6,
/// docs/format.md §12): audio samples whole, video with ``SubsampleMap``; 8-byte per-sample IVs, the
/// counter block being IV ‖ 64-bit block counter from 0, so one sample never reuses another's keystream.
///
/// IVs: the first is the first 8 bytes of SHA-256 over `ivSeed` (which the pipeline builds from the
/// presentation version and the file name, so re-running the same inputs gives the same bytes and two
/// files never start at the same IV), then each sample takes the next value. With no seed the first IV
/// comes from the system's random generator.
public final class CencSampleEncryptor: SampleProtector {
    public let track: TrackProtection
    private let key: SecretKey
    private var nextIV: UInt64

    public init(key: ContentKey, pssh: [PsshBox], ivSeed: [UInt8]?) {
        self.key = key.key
        track = TrackProtection(kid: key.kid.bytes, ivSize: 8, pssh: pssh)
        if let ivSeed {
            let d = SHA256.hash(Array("smoothpack cenc iv\n".utf8) + ivSeed)
            nextIV = d.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        } else {
            var g = SystemRandomNumberGenerator()
            nextIV = g.next()
        }
    }

    public func protect(_ data: inout [UInt8], isVideo: Bool) throws -> SampleEncryptionEntry {
        let ivValue = nextIV
        nextIV &+= 1
        let iv = (0..<8).map { UInt8(truncatingIfNeeded: ivValue >> UInt64(56 - 8 * $0)) }
        let counter = iv + [UInt8](repeating: 0, count: 8)
        if isVideo {
            let map = SubsampleMap.avc(data)
            AES128.ctr(&data, ranges: SubsampleMap.protectedRanges(map), key: key.bytes, iv: counter)
            return SampleEncryptionEntry(iv: iv, subsamples: map)
        }
        AES128.ctr(&data, ranges: [0..<data.count], key: key.bytes, iv: counter)
        return SampleEncryptionEntry(iv: iv)
    }
}
