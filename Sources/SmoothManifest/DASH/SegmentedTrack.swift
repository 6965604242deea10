internal import Platform
public import MediaCore

/// One media file as DASH and HLS address it: the ``ManifestTrack`` the Smooth manifests are built
/// from, plus where its bytes are. The init segment is everything before the first `moof` (`ftyp` +
/// `moov`); each fragment's segment is its `moof` + `mdat`. Both come from the muxer's
/// `FragmentIndex`, so the three manifests list the same fragments at the same times.
public struct SegmentedTrack: Sendable, Equatable {
    /// Kind, bitrate, file name, language, codec and fragment times.
    public var track: ManifestTrack
    /// `0 ..< offset of the first moof`.
    public var initialization: Range<Int64>
    /// One byte range per fragment of `track.fragments`, in the same order.
    public var segments: [Range<Int64>]
    /// Size of the file; every range lies inside it.
    public var fileSize: Int64
    /// Picture frame duration in seconds, from the codec configuration (video only).
    public var frameDuration: Rational? {
        if case .video(let v) = track.codec, v.frameDuration.isPositive { return v.frameDuration }
        return nil
    }

    /// Creates a segmented track.
    public init(track: ManifestTrack, initialization: Range<Int64>, segments: [Range<Int64>], fileSize: Int64) {
        self.track = track
        self.initialization = initialization
        self.segments = segments
        self.fileSize = fileSize
    }

    /// The init range starts the file, the segments follow it without gaps or overlaps, one per
    /// fragment, all inside the file.
    func validate(context: String) throws(ManifestError) {
        guard initialization.lowerBound == 0, !initialization.isEmpty else {
            throw ManifestError(.invalidTrack, context, "init range \(initialization) must start at byte 0 and not be empty")
        }
        guard segments.count == track.fragments.count else {
            throw ManifestError(.invalidTrack, context,
                                "\(segments.count) byte ranges for \(track.fragments.count) fragments")
        }
        var end = initialization.upperBound
        for (i, s) in segments.enumerated() {
            guard s.lowerBound == end, !s.isEmpty else {
                throw ManifestError(.invalidTrack, context,
                                    "segment \(i) covers bytes \(s), expected a non-empty range starting at \(end)")
            }
            end = s.upperBound
        }
        guard end <= fileSize else {
            throw ManifestError(.invalidTrack, context, "segments end at byte \(end), past the file's \(fileSize) bytes")
        }
    }

    /// Highest bitrate of any one segment (its bytes over its duration), in bits per second.
    public var peakBitrate: Int {
        zip(segments, track.fragments).map { Self.bitrate(bytes: $0.upperBound - $0.lowerBound, ticks: $1.duration) }.max() ?? 0
    }

    /// Bytes of all segments over the total duration, in bits per second.
    public var averageBitrate: Int {
        let ticks = track.fragments.reduce(Int64(0)) { $0 + $1.duration }
        return Self.bitrate(bytes: segments.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound }, ticks: ticks)
    }

    static func bitrate(bytes: Int64, ticks: Int64) -> Int {
        guard ticks > 0 else { return 0 }
        return Int((Double(bytes) * 8 * Double(Clock.timescale) / Double(ticks)).rounded(.up))
    }
}

/// Decimal renderings of 10 MHz times shared by the MPD and the playlists.
enum Ticks {
    /// `ticks / 10^7` as an exact decimal without trailing zeros (`2`, `2.002`, `0.0213333`).
    static func seconds(_ ticks: Int64) -> String {
        let scale = Clock.timescale
        let whole = ticks / scale
        var fraction = ticks % scale
        guard fraction != 0 else { return "\(whole)" }
        var digits = 7
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let text = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - text.count) + text
    }

    /// `PT<seconds>S`.
    static func duration(_ ticks: Int64) -> String { "PT" + seconds(ticks) + "S" }
}

extension Rational {
    /// Frames per second as a reduced `n/d` (or `n`), for DASH `@frameRate`.
    var framesPerSecondFraction: String {
        let fps = inverted  // stored reduced
        return fps.denominator == 1 ? "\(fps.numerator)" : "\(fps.numerator)/\(fps.denominator)"
    }
}

/// A media file name as a relative URI reference in an MPD or a playlist: every byte outside RFC 3986
/// `pchar` (and `%` itself) percent-encoded, so that spaces or quotes in a name cannot break them.
enum RelativeURI {
    static func encode(_ name: String) -> String {
        var out = ""
        for b in name.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || "-._~!$&'()*+,;=:@".contains(c) {
                out.append(c)
            } else {
                out += "%" + Hex.upper([b])
            }
        }
        return out
    }
}
