/// A parsed Smooth Streaming fragment request path (docs/format.md §5), relative to `…/x.ism/`:
/// `QualityLevels(B)/Fragments(name=T)` and its `FragmentInfo`, `RawFragments`, `KeyFrames` variants.
///
/// Strict: `B` and `T` are plain decimals (no sign, at most 18 digits), `name` follows the stream-name
/// grammar; CustomAttributes (`QualityLevels(B,Attr=V)`) are not supported. The origin resolves it with
/// ``ServerManifest/track(bitrate:name:)`` and the file's `tfra` entry whose time equals `time`.
public struct FragmentRequest: Sendable, Equatable {
    /// What part of the fragment is asked for.
    public enum Noun: String, Sendable, CaseIterable {
        /// moof + mdat.
        case fragments = "Fragments"
        /// moof only.
        case fragmentInfo = "FragmentInfo"
        /// sample bytes only.
        case rawFragments = "RawFragments"
        /// key frames only (trick play).
        case keyFrames = "KeyFrames"
    }

    /// `QualityLevels(B)`.
    public var bitrate: Int
    /// Which part.
    public var noun: Noun
    /// Stream / track name.
    public var streamName: String
    /// Fragment start time, 10 MHz units.
    public var time: Int64

    /// Creates a request.
    public init(bitrate: Int, noun: Noun = .fragments, streamName: String, time: Int64) {
        self.bitrate = bitrate
        self.noun = noun
        self.streamName = streamName
        self.time = time
    }

    /// Parses `QualityLevels(B)/Noun(name=T)`; nil for anything else.
    public init?(path: some StringProtocol) {
        let parts = String(path).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let b = Self.inner(parts[0], "QualityLevels"), let bitrate = AttributeReader.decimal(String(b)),
              bitrate > 0 else { return nil }
        for noun in Noun.allCases {
            guard let body = Self.inner(parts[1], noun.rawValue) else { continue }
            let kv = body.split(separator: "=", omittingEmptySubsequences: false)
            guard kv.count == 2, ManifestBuilder.isValidStreamName(String(kv[0])),
                  let t = AttributeReader.decimal(String(kv[1])) else { return nil }
            self.init(bitrate: Int(bitrate), noun: noun, streamName: String(kv[0]), time: t)
            return
        }
        return nil
    }

    /// `QualityLevels(B)/Noun(name=T)`.
    public var path: String { "QualityLevels(\(bitrate))/\(noun.rawValue)(\(streamName)=\(time))" }

    private static func inner(_ s: Substring, _ word: String) -> Substring? {
        guard s.hasPrefix(word + "("), s.hasSuffix(")"), s.count >= word.count + 2 else { return nil }
        return s.dropFirst(word.count + 1).dropLast()
    }
}
