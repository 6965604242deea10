internal import FFmpeg
internal import Foundation
internal import Planning
internal import SmoothManifest
internal import Platform
internal import Protection

/// The `<version>` folder name: a short hash of everything that decides the output, so the same inputs
/// give the same name (a re-run is a no-op) and changed inputs a new one (CloudFront cannot invalidate
/// Smooth Streaming objects).
enum PresentationVersion {
    static let length = 12

    /// The version of an encode: source bytes, resolved profile, manifest options, smoothpack's version, and
    /// each caption file's bytes, language and role (a changed or added caption file makes a new version), and
    /// the instruction sets libx264 uses on this machine (they change its bytes).
    /// A split encode (chunks encoded apart and joined) adds its chunk length: its bytes differ from a whole
    /// encode's, and from another chunking's; a whole encode's version is what it always was.
    static func compute(source: URL, profile: Profile, options: PackagerOptions,
                        captions: [CaptionDiscovery.Found] = [], chunkSeconds: Double? = nil) throws -> String {
        var salt = "profile:\n\(profile.canonicalDescription)\nencoder: \(Encoder.machineDescription)"
        if let chunkSeconds { salt += "\nchunk_seconds=\(chunkSeconds)" }
        for c in captions { salt += "\ncaption \(c.url.lastPathComponent) \(c.language.bcp47) \(c.role.rawValue)" }
        return try compute(sources: [source] + captions.map(\.url), salt: salt, options: options)
    }

    /// The version for any set of input files and a description of how they are processed.
    static func compute(sources: [URL], salt: String, options: PackagerOptions) throws -> String {
        var hash = SHA256()
        let header = """
            smoothpack \(SmoothPackInfo.version)
            \(salt)
            manifest: \(options.manifestVersion == .v2_2 ? "2.2" : "2.0")
            formats: \(StreamingFormat.allCases.filter(options.formats.contains).map(\.rawValue).joined(separator: ","))
            \(options.publishReport ? "report: published\n" : "")

            """
            // Key IDs and licence URL, never the keys (docs/format.md §12.6); absent for clear output, whose
            // versions stay what they were.
            + (options.protection.map { $0.versionDescription + "\n" } ?? "")
        hash.update(Array(header.utf8))
        for source in sources {
            hash.update(Array("source \(source.lastPathComponent):\n".utf8))
            // 1 MiB reads: this runs beside the package pass, whose peak memory it adds to (a 2-hour source is
            // still being hashed when the muxers' buffers are full); larger reads are no faster.
            try Digests.update(&hash, withFileAtPath: source.path, chunkSize: 1 << 20)
        }
        return String(Hex.lower(hash.finalize()).prefix(length))
    }
}

/// Facts about this build of smoothpack.
public enum SmoothPackInfo {
    /// The package version; part of every output version hash.
    public static let version = "0.3.0"
}
