/// The entry points the libFuzzer harnesses (`Fuzz/<target>/main.swift`, run by `scripts/fuzz`) and the
/// regression tests (`Tests/HostileInputTests`) share, so the suite replays exactly what the fuzzer ran.
/// Each returns the invariants the input broke (empty when none); a thrown ``ManifestError`` or a nil parse
/// is the expected outcome for bad input, a trap or a runaway allocation is a finding.
public enum FuzzEntry {
    /// Parses `bytes` as a `.ism` and as a `.ismc`; a server manifest that parses must find each of its
    /// tracks again by bitrate and name.
    public static func manifestReader(_ bytes: [UInt8]) -> [String] {
        var broken: [String] = []
        if let server = try? ServerManifest(xml: bytes) {
            for track in server.tracks where server.track(bitrate: track.systemBitrate, name: track.name) == nil {
                broken.append("track \(track.name) at \(track.systemBitrate) b/s is not found by its own bitrate and name")
            }
        }
        if let client = try? ClientManifest(xml: bytes) {
            for stream in client.streams where stream.chunks.count > ReadLimits().maxChunksPerStream {
                broken.append("stream \(stream.name) has \(stream.chunks.count) fragments, above the cap")
            }
        }
        return broken
    }

    /// Parses `bytes` (as UTF-8) as an origin fragment path; what parses must print back to a path that
    /// parses to the same request.
    public static func fragmentRequest(_ bytes: [UInt8]) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var broken: [String] = []
        if let request = FragmentRequest(path: text), FragmentRequest(path: request.path) != request {
            broken.append("round trip changed \(text.debugDescription) to \(request.path.debugDescription)")
        }
        if FragmentRequest(path: Substring(text)) != FragmentRequest(path: text) {
            broken.append("String and Substring parses of \(text.debugDescription) differ")
        }
        return broken
    }
}
