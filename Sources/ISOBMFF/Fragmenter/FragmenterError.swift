/// Why the fragmenter refused a stream (bad input is thrown, never trapped on).
public enum FragmenterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A video fragment would start with a non-sync sample (docs/format.md §6.2 item 7).
    case fragmentStartsWithNonSyncSample(sampleIndex: Int, decodeTime: Int64)
    /// The first sample's decode time is negative (docs/format.md §6.2 item 11).
    case negativeStartTime(Int64)
    /// A sample's decode time is not the previous sample's decode time + duration.
    case nonContiguousDecodeTime(sampleIndex: Int, expected: Int64, found: Int64)
    /// A sample duration is zero or negative.
    case nonPositiveDuration(sampleIndex: Int, duration: Int64)
    /// A sample duration does not fit in the 32-bit trun field.
    case durationTooLarge(sampleIndex: Int, duration: Int64)
    /// A composition offset does not fit in the signed 32-bit trun field.
    case compositionOffsetOutOfRange(sampleIndex: Int, offset: Int64)
    /// A sample without bytes.
    case emptySample(sampleIndex: Int)
    /// A video sample that is not 4-byte length-prefixed NAL units (e.g. Annex-B start codes).
    case malformedNALUnits(sampleIndex: Int, detail: String)
    /// A fragment's samples exceed what a 32-bit mdat can hold.
    case fragmentTooLarge(bytes: Int64)
    /// The policy does not match the codec (audio policy on video or the reverse), or is invalid.
    case invalidPolicy(String)
    /// Common Encryption could not describe a sample (docs/format.md §12.3).
    case encryption(String)
    /// `finish()` on a fragmenter that got no sample.
    case noSamples
    /// `append` or `finish` after `finish()`.
    case alreadyFinished

    public var description: String {
        switch self {
        case .fragmentStartsWithNonSyncSample(let i, let t):
            "video fragment would start with non-sync sample \(i) (decode time \(t))"
        case .negativeStartTime(let t): "first decode time \(t) is negative"
        case .nonContiguousDecodeTime(let i, let e, let f): "sample \(i) decode time \(f), expected \(e)"
        case .nonPositiveDuration(let i, let d): "sample \(i) duration \(d) is not positive"
        case .durationTooLarge(let i, let d): "sample \(i) duration \(d) does not fit in 32 bits"
        case .compositionOffsetOutOfRange(let i, let o): "sample \(i) composition offset \(o) does not fit in 32 bits"
        case .emptySample(let i): "sample \(i) has no bytes"
        case .malformedNALUnits(let i, let d): "sample \(i) is not 4-byte length-prefixed NAL units: \(d)"
        case .fragmentTooLarge(let b): "fragment of \(b) bytes exceeds a 32-bit mdat"
        case .invalidPolicy(let d): "invalid fragmentation policy: \(d)"
        case .encryption(let d): "cannot encrypt: \(d)"
        case .noSamples: "no samples were appended"
        case .alreadyFinished: "the fragmenter has already finished"
        }
    }
}
