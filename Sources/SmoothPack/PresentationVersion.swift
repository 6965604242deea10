internal import Foundation
internal import Planning
internal import SmoothManifest
internal import Platform

/// The `<version>` folder name: a short hash of everything that decides the output, so the same inputs
/// give the same name (a re-run is a no-op) and changed inputs a new one (CloudFront cannot invalidate
/// Smooth Streaming objects).
enum PresentationVersion {
    static let length = 12

    /// The version of an encode: source bytes, resolved profile, manifest options, smoothpack's version.
    static func compute(source: URL, profile: Profile, options: PackagerOptions) throws -> String {
        try compute(sources: [source], salt: "profile:\n\(profile.canonicalDescription)", options: options)
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
        hash.update(Array(header.utf8))
        for source in sources {
            hash.update(Array("source \(source.lastPathComponent):\n".utf8))
            let handle = try FileHandle(forReadingFrom: source)
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { hash.update($0) }
            }
        }
        return String(Hex.lower(hash.finalize()).prefix(length))
    }
}

/// Facts about this build of smoothpack.
public enum SmoothPackInfo {
    /// The package version; part of every output version hash.
    public static let version = "0.2.0"
}
