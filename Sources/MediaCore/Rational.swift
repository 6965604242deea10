/// An exact rational number (frame rates, aspect ratios, time bases).
///
/// Always stored reduced with a positive denominator, so two equal values compare equal.
public struct Rational: Hashable, Sendable, Codable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    /// Creates `numerator/denominator`, reduced. A zero denominator is a programmer error.
    public init(_ numerator: Int64, _ denominator: Int64) {
        precondition(denominator != 0, "Rational with a zero denominator")
        let sign: Int64 = denominator < 0 ? -1 : 1
        let g = Rational.gcd(abs(numerator), abs(denominator))
        self.numerator = sign * numerator / max(g, 1)
        self.denominator = sign * denominator / max(g, 1)
    }

    public init(_ integer: Int) { self.init(Int64(integer), 1) }

    public var doubleValue: Double { Double(numerator) / Double(denominator) }
    public var inverted: Rational { Rational(denominator, numerator) }
    public var isPositive: Bool { numerator > 0 }
    public var description: String { "\(numerator)/\(denominator)" }

    public static func * (a: Rational, b: Rational) -> Rational {
        let g1 = gcd(abs(a.numerator), b.denominator), g2 = gcd(abs(b.numerator), a.denominator)
        return Rational((a.numerator / max(g1, 1)) * (b.numerator / max(g2, 1)),
                        (a.denominator / max(g2, 1)) * (b.denominator / max(g1, 1)))
    }
    public static func / (a: Rational, b: Rational) -> Rational { a * b.inverted }
    public static func < (a: Rational, b: Rational) -> Bool {
        a.numerator.multipliedFullWidth(by: b.denominator) < b.numerator.multipliedFullWidth(by: a.denominator)
    }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}

extension Rational: Comparable {}
