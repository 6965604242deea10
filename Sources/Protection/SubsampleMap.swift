public import ISOBMFF

/// Which bytes of an H.264 access unit stay clear under `cenc` subsample encryption (docs/format.md §12.3):
/// every 4-byte length prefix and NAL unit header; non-slice NAL units (SPS, PPS, SEI, AUD…) whole; of each
/// slice NAL unit (types 1 and 5) the first ``sliceClearBytes`` bytes after its header, enough for the slice
/// header of our encodes, and then whatever is left over so that the protected part is a whole number of
/// 16-byte blocks (ISO/IEC 23001-7 §10.2 recommends block-aligned protected ranges for AVC). Slices too short
/// to protect one block stay clear.
public enum SubsampleMap {
    /// Clear bytes kept after a slice NAL unit's 1-byte header.
    public static let sliceClearBytes = 32
    /// Most (clear, protected) runs per sample before clear-run splitting (see ``avc(_:)``).
    public static let maxRuns = 40

    /// The (clear, protected) runs covering `data` exactly. `data` must be well-formed 4-byte
    /// length-prefixed NAL units (the muxer checks this before encrypting).
    public static func avc(_ data: [UInt8]) -> [Subsample] {
        var runs: [(clear: Int, protected: Int)] = []
        var pendingClear = 0
        var i = 0
        while data.count - i >= 5 {
            let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length > 0, length <= data.count - i - 4 else { break }
            let type = data[i + 4] & 0x1F
            let total = 4 + length
            var protected = 0
            if type == 1 || type == 5 {
                let minimumClear = 4 + 1 + sliceClearBytes
                if total > minimumClear { protected = (total - minimumClear) / 16 * 16 }
            }
            pendingClear += total - protected
            if protected > 0 {
                runs.append((pendingClear, protected))
                pendingClear = 0
            }
            i += total
        }
        pendingClear += data.count - i  // anything unparsable stays clear
        if pendingClear > 0 || runs.isEmpty { runs.append((pendingClear, 0)) }
        // saiz holds a sample's auxiliary size in one byte: 8 + 2 + 6 × runs ≤ 255, so at most 40 runs
        // (one spare for a split). Past that, the smallest protected runs are left clear and merged.
        while runs.count > maxRuns {
            let smallest = runs.indices.dropLast().min { runs[$0].protected < runs[$1].protected } ?? 0
            let merged = runs.remove(at: smallest)
            runs[smallest].clear += merged.clear + merged.protected
        }
        // clear counts are 16-bit: a longer clear run becomes (65535, 0) entries before its own.
        var out: [Subsample] = []
        for r in runs {
            var clear = r.clear
            while clear > Int(UInt16.max) {
                out.append(Subsample(clearBytes: UInt16.max, protectedBytes: 0))
                clear -= Int(UInt16.max)
            }
            out.append(Subsample(clearBytes: UInt16(clear), protectedBytes: UInt32(r.protected)))
        }
        return out
    }

    /// The byte ranges a map protects, in order.
    public static func protectedRanges(_ map: [Subsample]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var at = 0
        for s in map {
            at += Int(s.clearBytes)
            if s.protectedBytes > 0 { ranges.append(at..<(at + Int(s.protectedBytes))) }
            at += Int(s.protectedBytes)
        }
        return ranges
    }
}
