/// H.264 access units as 4-byte length-prefixed NAL units (ISO/IEC 14496-15 §5.3.2; docs/format.md §1.6).
public enum NALUnits {
    /// nil when `data` is a sequence of non-empty NAL units each preceded by its 4-byte big-endian
    /// length that exactly fills `data`; otherwise a short description of the first problem.
    public static func lengthPrefixProblem(_ data: [UInt8]) -> String? {
        var i = 0
        while i < data.count {
            guard data.count - i >= 5 else { return "\(data.count - i) trailing bytes at \(i)" }
            let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length > 0 else { return "zero NAL length at \(i)" }
            guard length <= data.count - i - 4 else {
                return "NAL length \(length) at \(i) overruns \(data.count) bytes"
            }
            i += 4 + length
        }
        return nil
    }

    /// The `nal_unit_type` of each length-prefixed NAL unit (stops at the first malformed length).
    public static func types(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while data.count - i >= 5 {
            let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length > 0, length <= data.count - i - 4 else { break }
            out.append(data[i + 4] & 0x1F)
            i += 4 + length
        }
        return out
    }

    /// Offset of each NAL unit's header byte (after its 4-byte length) in `data`.
    public static func headerOffsets(_ data: [UInt8]) -> [Int] {
        var out: [Int] = []
        var i = 0
        while data.count - i >= 5 {
            let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length > 0, length <= data.count - i - 4 else { break }
            out.append(i + 4)
            i += 4 + length
        }
        return out
    }
}
