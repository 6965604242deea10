/// Content types and the shapes of split-tree files.
///
/// Smooth Streaming answers use the types AWS MediaPackage's CDN guidance gives (docs/format.md §5):
/// `Manifest` is `text/xml`, every fragment — audio too — is `video/mp4` (one type for all `Fragments(…)`
/// URLs, as CloudFront-fronted origins commonly send). Plain files get a type from their extension; S3
/// objects of a presentation are uploaded with the same mapping (`.ism`/`.ismc` → `text/xml`, `.ismv` →
/// `video/mp4`, `.isma` → `audio/mp4`).
enum ContentTypes {
    static let manifest = "text/xml"
    static let fragment = "video/mp4"
    static let fallback = "application/octet-stream"

    /// What a static path is, seen from its last segments.
    enum Kind: Sendable, Equatable {
        /// `…/x.ism/Manifest` inside a split tree.
        case splitManifest
        /// `…/x.ism/QualityLevels(B)/Fragments(…)` inside a split tree.
        case splitFragment
        case other
    }

    static func classify(_ segments: [String]) -> Kind {
        let n = segments.count
        if n >= 2, segments[n - 1] == "Manifest", segments[n - 2].hasSuffix(".ism") { return .splitManifest }
        if n >= 3, segments[n - 3].hasSuffix(".ism"), segments[n - 2].hasPrefix("QualityLevels("),
            segments[n - 1].hasSuffix(")")
        {
            return .splitFragment
        }
        return .other
    }

    static func type(for segments: [String], kind: Kind) -> String {
        switch kind {
        case .splitManifest: return manifest
        case .splitFragment: return fragment
        case .other: break
        }
        guard let name = segments.last, let dot = name.lastIndex(of: ".") else { return fallback }
        return byExtension[name[name.index(after: dot)...].lowercased()] ?? fallback
    }

    static let byExtension: [String: String] = [
        "ism": "text/xml", "ismc": "text/xml", "xml": "text/xml",
        "ismv": "video/mp4", "mp4": "video/mp4", "m4v": "video/mp4", "m4s": "video/iso.segment",
        "isma": "audio/mp4", "m4a": "audio/mp4", "aac": "audio/aac", "ismt": "application/mp4",
        "json": "application/json", "mpd": "application/dash+xml", "m3u8": "application/vnd.apple.mpegurl",
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "txt": "text/plain; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
        "webp": "image/webp", "ico": "image/x-icon", "vtt": "text/vtt", "ttml": "application/ttml+xml",
    ]
}
