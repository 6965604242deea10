internal import MediaCore

/// Caption time stamps to and from the 10 MHz clock, exactly (decimal fractions of up to 7 digits).
public enum Timecode {
    static let unitsPerSecond: Int64 = Clock.timescale
    /// Longest time accepted: 1000 hours (far past any caption file; keeps every product in Int64).
    static let maxTime: Int64 = 1000 * 3600 * unitsPerSecond

    /// `[H…:]MM:SS(.|,)f…` (SRT and WebVTT): hours optional when `hoursOptional`; minutes and seconds
    /// two digits below 60; 1 to 9 fraction digits (digits past the 7th are truncated). Nil when malformed.
    static func clock(_ s: Substring, hoursOptional: Bool, fractionRequired: Bool = true) -> Int64? {
        let u = Array(s.utf8)
        var parts: [[UInt8]] = [[]]
        var fraction: [UInt8]? = nil
        for c in u {
            if c == UInt8(ascii: ":") {
                guard fraction == nil, parts.count < 3 else { return nil }
                parts.append([])
            } else if c == UInt8(ascii: ".") || c == UInt8(ascii: ",") {
                guard fraction == nil else { return nil }
                fraction = []
            } else if c >= 0x30 && c <= 0x39 {
                if fraction != nil { fraction!.append(c) } else { parts[parts.count - 1].append(c) }
            } else {
                return nil
            }
        }
        guard parts.count == 3 || (hoursOptional && parts.count == 2) else { return nil }
        if fractionRequired && fraction == nil { return nil }
        if let f = fraction, f.isEmpty || f.count > 9 { return nil }
        let hoursText: [UInt8] = parts.count == 3 ? parts[0] : [0x30]
        let m = parts[parts.count - 2], sec = parts[parts.count - 1]
        guard !hoursText.isEmpty, hoursText.count <= 4, m.count == 2, sec.count == 2 else { return nil }
        let h = digits(hoursText), mm = digits(m), ss = digits(sec)
        guard mm < 60, ss < 60 else { return nil }
        let whole = (h * 3600 + mm * 60 + ss) * unitsPerSecond
        return whole + fractionUnits(fraction ?? [])
    }

    /// Decimal digits (at most 18) as a number.
    static func digits(_ d: some Collection<UInt8>) -> Int64 {
        d.reduce(0) { $0 * 10 + Int64($1 - 0x30) }
    }

    /// A decimal fraction (the digits after the point) in 10 MHz units, truncated past 7 digits.
    static func fractionUnits(_ f: [UInt8]) -> Int64 {
        var value: Int64 = 0
        for k in 0..<7 { value = value * 10 + (k < f.count ? Int64(f[k] - 0x30) : 0) }
        return value
    }

    /// `HH:MM:SS.fffffff` with as many fraction digits as needed (at least 3): exact, for TTML.
    public static func ttmlClock(_ t: Int64) -> String {
        let (h, m, s, f) = split(t)
        var frac = pad(f, 7)
        while frac.count > 3 && frac.hasSuffix("0") { frac.removeLast() }
        return "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(frac)"
    }

    /// `HH:MM:SS.mmm`, rounded to the nearest millisecond: WebVTT's only form.
    public static func webVTT(_ t: Int64) -> String {
        let ms = (t + 5_000) / 10_000
        let (h, m, s, _) = split(ms * 10_000)
        return "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2)).\(pad(ms % 1000, 3))"
    }

    static func split(_ t: Int64) -> (Int64, Int64, Int64, Int64) {
        let t = max(0, t)
        let seconds = t / unitsPerSecond
        return (seconds / 3600, seconds / 60 % 60, seconds % 60, t % unitsPerSecond)
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
