/// One sample's Common Encryption parameters — ISO/IEC 23001-7 §7.2 (CencSampleAuxiliaryDataFormat): its
/// IV and, for subsample encryption, the list of (clear, protected) byte runs that cover the sample.
public struct SampleEncryptionEntry: Sendable, Equatable {
    /// 8 or 16 bytes (the track's per-sample IV size).
    public var iv: [UInt8]
    /// Empty: the whole sample is protected.
    public var subsamples: [Subsample]

    public init(iv: [UInt8], subsamples: [Subsample] = []) {
        self.iv = iv
        self.subsamples = subsamples
    }

    /// Bytes this entry takes in `senc` and as auxiliary information (`saiz`).
    public func auxiliarySize(withSubsamples: Bool) -> Int {
        iv.count + (withSubsamples ? 2 + 6 * subsamples.count : 0)
    }

    /// Sum of the clear and protected bytes of the map (the sample size it describes).
    public var coveredBytes: Int { subsamples.reduce(0) { $0 + Int($1.clearBytes) + Int($1.protectedBytes) } }
}

/// A run of clear bytes followed by a run of protected bytes (ISO/IEC 23001-7 §7.2).
public struct Subsample: Sendable, Equatable {
    public var clearBytes: UInt16
    public var protectedBytes: UInt32

    public init(clearBytes: UInt16, protectedBytes: UInt32) {
        self.clearBytes = clearBytes
        self.protectedBytes = protectedBytes
    }
}

/// The body shared by `senc` and PIFF's sample encryption `uuid` box: sample count, then per sample the IV
/// and (flag 0x2) the subsample map. The IV size is not in the box: readers take it from `tenc`; this
/// decoder finds the one of 16, 8 (and 0) that consumes the body exactly, as FFmpeg and Bento4 do.
enum SampleEncryptionBody {
    static let subsampleFlag: UInt32 = 0x02

    static func write(_ entries: [SampleEncryptionEntry], to w: inout ByteWriter, path: String) throws -> UInt32 {
        let withSubsamples = entries.contains { !$0.subsamples.isEmpty }
        guard let count = UInt32(exactly: entries.count),
            entries.allSatisfy({ $0.subsamples.count <= Int(UInt16.max) && ($0.iv.count == entries[0].iv.count) })
        else {
            throw MP4Error(code: .invalidValue, box: "senc", path: path, detail: "IV sizes differ or too many subsamples")
        }
        w.write(count)
        for e in entries {
            w.write(e.iv)
            guard withSubsamples else { continue }
            w.write(UInt16(e.subsamples.count))
            for s in e.subsamples {
                w.write(s.clearBytes)
                w.write(s.protectedBytes)
            }
        }
        return withSubsamples ? subsampleFlag : 0
    }

    static func read(_ r: inout ByteReader, flags: UInt32, ivSize known: Int? = nil) throws -> (entries: [SampleEncryptionEntry], ivSize: Int) {
        let declared = try r.readUInt32()
        let candidates = known.map { [$0] } ?? [16, 8, 0]
        var lastError: (any Error)?
        for ivSize in candidates {
            var attempt = r
            do {
                let count = try attempt.boundedCount(UInt64(declared), entrySize: max(ivSize + (flags & subsampleFlag != 0 ? 2 : 0), 1),
                                                     what: "samples")
                var entries: [SampleEncryptionEntry] = []
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    var e = SampleEncryptionEntry(iv: try attempt.readBytes(ivSize))
                    if flags & subsampleFlag != 0 {
                        let n = try attempt.boundedCount(UInt64(try attempt.readUInt16()), entrySize: 6, what: "subsamples")
                        e.subsamples = try (0..<n).map { _ in
                            Subsample(clearBytes: try attempt.readUInt16(), protectedBytes: try attempt.readUInt32())
                        }
                    }
                    entries.append(e)
                }
                try attempt.expectEnd()
                r = attempt
                return (entries, ivSize)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? r.error(.invalidValue, "sample encryption data")
    }
}
