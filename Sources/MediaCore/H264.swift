/// H.264 bitstream helpers (ISO/IEC 14496-10 Annex B and 14496-15 sample format).
public enum H264 {
    /// NAL unit types used by the packager.
    public enum NALType: UInt8 {
        case nonIDRSlice = 1, idrSlice = 5, sei = 6, sps = 7, pps = 8, accessUnitDelimiter = 9
    }

    /// NAL units of an Annex-B byte stream (start codes `00 00 01` or `00 00 00 01`), as ranges into
    /// `bytes`, without the start codes and without trailing zero bytes.
    public static func annexBUnits(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var units: [Range<Int>] = []
        let n = bytes.count
        var i = 0
        var start = -1
        while i + 2 < n {
            if bytes[i] == 0, bytes[i + 1] == 0, bytes[i + 2] == 1 {
                if start >= 0 { units.append(start..<trimZeros(bytes, start, i)) }
                i += 3
                start = i
            } else {
                i += 1
            }
        }
        if start >= 0, start < n { units.append(start..<trimZeros(bytes, start, n)) }
        return units.filter { !$0.isEmpty }
    }

    private static func trimZeros(_ b: UnsafeRawBufferPointer, _ lower: Int, _ upper: Int) -> Int {
        var end = upper
        while end > lower, b[end - 1] == 0 { end -= 1 }
        return end
    }

    /// Converts an Annex-B access unit to 4-byte length-prefixed NAL units, dropping access unit
    /// delimiters and in-band SPS/PPS (they travel in the codec configuration). One pass, one output
    /// allocation.
    public static func lengthPrefixed(fromAnnexB bytes: UnsafeRawBufferPointer) -> (data: [UInt8], hasIDR: Bool) {
        let units = annexBUnits(bytes).filter {
            let type = bytes[$0.lowerBound] & 0x1F
            return type != NALType.accessUnitDelimiter.rawValue && type != NALType.sps.rawValue
                && type != NALType.pps.rawValue
        }
        var out = [UInt8]()
        out.reserveCapacity(units.reduce(0) { $0 + $1.count + 4 })
        var idr = false
        for unit in units {
            let length = UInt32(unit.count)
            out.append(UInt8(length >> 24)); out.append(UInt8((length >> 16) & 0xFF))
            out.append(UInt8((length >> 8) & 0xFF)); out.append(UInt8(length & 0xFF))
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[unit]))
            if bytes[unit.lowerBound] & 0x1F == NALType.idrSlice.rawValue { idr = true }
        }
        return (out, idr)
    }

    /// A 4-byte length-prefixed access unit without its SEI NAL units (x264 writes its version and settings
    /// in an SEI of the first frame it encodes only; a split encode drops it from every chunk but the first, so
    /// the joined stream carries it once, as a whole encode does). Returns the input when it is malformed.
    public static func removingSEI(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(data.count)
        var i = 0
        while i < data.count {
            guard i + 4 <= data.count else { return data }
            let length = Int(data[i]) << 24 | Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard length > 0, i + 4 + length <= data.count else { return data }
            if data[i + 4] & 0x1F != NALType.sei.rawValue { out.append(contentsOf: data[i..<(i + 4 + length)]) }
            i += 4 + length
        }
        return out
    }

    /// Converts length-prefixed NAL units with `lengthSize`-byte lengths to 4-byte lengths, dropping
    /// AUD/SPS/PPS. Returns nil when a length runs past the end (a corrupt sample).
    public static func normalisedLengthPrefixed(_ bytes: UnsafeRawBufferPointer, lengthSize: Int)
        -> (data: [UInt8], hasIDR: Bool)? {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + 16)
        var idr = false
        var i = 0
        while i < bytes.count {
            guard i + lengthSize <= bytes.count else { return nil }
            var length = 0
            for k in 0..<lengthSize { length = length << 8 | Int(bytes[i + k]) }
            i += lengthSize
            guard length > 0 else { continue }
            guard i + length <= bytes.count else { return nil }
            let type = bytes[i] & 0x1F
            if type != NALType.accessUnitDelimiter.rawValue && type != NALType.sps.rawValue
                && type != NALType.pps.rawValue {
                let l = UInt32(length)
                out.append(UInt8(l >> 24)); out.append(UInt8((l >> 16) & 0xFF))
                out.append(UInt8((l >> 8) & 0xFF)); out.append(UInt8(l & 0xFF))
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + length)]))
                if type == NALType.idrSlice.rawValue { idr = true }
            }
            i += length
        }
        return (out, idr)
    }

    /// Parameter sets of H.264 extradata, in either form: an AVCDecoderConfigurationRecord (first byte 1)
    /// or Annex-B. Returns the first SPS and the first PPS, and the NAL length size (4 for Annex-B).
    public static func parameterSets(fromExtradata extradata: [UInt8]) -> (sps: [UInt8], pps: [UInt8], lengthSize: Int)? {
        if extradata.first == 1 {
            guard extradata.count >= 8 else { return nil }
            let lengthSize = Int(extradata[4] & 0x03) + 1
            var i = 5
            let spsCount = Int(extradata[i] & 0x1F); i += 1
            var sps: [UInt8]?
            for _ in 0..<spsCount {
                guard i + 2 <= extradata.count else { return nil }
                let len = Int(extradata[i]) << 8 | Int(extradata[i + 1]); i += 2
                guard i + len <= extradata.count else { return nil }
                if sps == nil { sps = Array(extradata[i..<(i + len)]) }
                i += len
            }
            guard i < extradata.count else { return nil }
            let ppsCount = Int(extradata[i]); i += 1
            var pps: [UInt8]?
            for _ in 0..<ppsCount {
                guard i + 2 <= extradata.count else { return nil }
                let len = Int(extradata[i]) << 8 | Int(extradata[i + 1]); i += 2
                guard i + len <= extradata.count else { return nil }
                if pps == nil { pps = Array(extradata[i..<(i + len)]) }
                i += len
            }
            guard let sps, let pps, !sps.isEmpty, !pps.isEmpty else { return nil }
            return (sps, pps, lengthSize)
        }
        return extradata.withUnsafeBytes { raw in
            var sps: [UInt8]?, pps: [UInt8]?
            for unit in annexBUnits(raw) {
                let type = raw[unit.lowerBound] & 0x1F
                if type == NALType.sps.rawValue, sps == nil { sps = Array(raw[unit]) }
                if type == NALType.pps.rawValue, pps == nil { pps = Array(raw[unit]) }
            }
            guard let sps, let pps else { return nil }
            return (sps, pps, 4)
        }
    }

    /// True when a 4-byte length-prefixed access unit contains an IDR slice.
    public static func containsIDR(lengthPrefixed bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i + 4 < bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            i += 4
            guard length > 0, i + length <= bytes.count else { return false }
            if bytes[i] & 0x1F == NALType.idrSlice.rawValue { return true }
            i += length
        }
        return false
    }
}
