/// The one clock of smoothpack: 10,000,000 units per second in every manifest and media file.
public enum Clock {
    /// Units per second (100 ns units), the Smooth Streaming TimeScale.
    public static let timescale: Int64 = 10_000_000

    /// Start of unit `n` of a regular timeline, in 10 MHz units, rounded once (half away from zero):
    /// `round(n · unitDuration · 10⁷)`. `unitDuration` is seconds per unit (e.g. 1001/30000 for a
    /// 29.97 fps frame, 1/48000 for an audio sample). Sample durations are differences of two starts,
    /// so a long timeline never drifts.
    public static func time(ofUnit n: Int64, unitDuration: Rational) -> Int64 {
        // n * num * 10^7 / den with a 128-bit intermediate.
        let scaled = unitDuration.numerator.multipliedFullWidth(by: timescale)
        precondition(scaled.high == 0 || scaled.high == -1, "unit duration too large")
        let perUnit = Int64(truncatingIfNeeded: scaled.low)
        let product = n.multipliedFullWidth(by: perUnit)
        return Clock.roundedDivide(high: product.high, low: product.low, by: unitDuration.denominator)
    }

    /// `(high:low) / d` rounded half away from zero; traps if the quotient does not fit in Int64.
    static func roundedDivide(high: Int64, low: UInt64, by d: Int64) -> Int64 {
        precondition(d > 0, "positive divisor required")
        let negative = high < 0
        var magnitude = (high: UInt64(bitPattern: high), low: low)
        if negative { // two's complement negate of the 128-bit value
            magnitude.high = ~magnitude.high
            magnitude.low = ~magnitude.low
            let (l, o) = magnitude.low.addingReportingOverflow(1)
            magnitude.low = l
            if o { magnitude.high &+= 1 }
        }
        let (q, r) = UInt64(d).dividingFullWidth((magnitude.high, magnitude.low))
        var quotient = q
        if r >= UInt64(d) - r { quotient += 1 }   // 2r >= d without overflow
        precondition(quotient <= UInt64(Int64.max), "time does not fit in 64 bits")
        return negative ? -Int64(quotient) : Int64(quotient)
    }
}
