internal import Platform
internal import SmoothManifest

/// Writes the pre-split layout of presentations — `<stem>.ism/Manifest` and
/// `<stem>.ism/QualityLevels(B)/Fragments(name=T)` as plain files — for CDNs and web servers without Smooth
/// Streaming support (nginx, S3 website hosting, any static host). Players then use the same URL,
/// `…/<stem>.ism/Manifest`, and get byte-identical answers: every file is produced by ``SmoothOrigin``, the
/// resolver `smoothpack serve` uses.
///
/// The tree goes to a separate folder that mirrors the served root: a `<stem>.ism/` folder cannot sit beside
/// the `<stem>.ism` file, and a published version folder must keep exactly the files its
/// `upload-manifest.json` lists. The root's `clientaccesspolicy.xml` and `crossdomain.xml` are copied along.
/// Serve such a tree with content types set by shape: `Manifest` → `text/xml`, `Fragments(…)` → `video/mp4`.
public struct StaticTreeWriter: Sendable {
    /// What was written for one presentation.
    public struct Summary: Sendable, Equatable {
        /// The `.ism` path relative to the root.
        public var presentation: String
        /// The folder written, `<target>/<presentation>`.
        public var folder: String
        /// Files written (the Manifest and every fragment).
        public var files: Int
        /// Bytes written.
        public var bytes: Int64
    }

    /// The resolver the files come from.
    public let origin: SmoothOrigin
    /// Policy files copied from the root when present.
    public static let policyFiles = ["clientaccesspolicy.xml", "crossdomain.xml"]

    /// Creates a writer reading through `origin`.
    public init(origin: SmoothOrigin) { self.origin = origin }

    /// Writes every presentation under the origin's root and the root's policy files into `target`, which
    /// must not lie inside the root.
    public func writeAll(into target: String) throws(OriginError) -> [Summary] {
        let root = try prepare(target)
        for name in Self.policyFiles {
            guard case .found(let path, let id) = OriginFiles.locate(name, under: origin.confined), id.isRegularFile
            else { continue }
            let bytes = try OriginFiles.readSmallFile(path, limit: 1 << 20)
            try OriginFiles.writeFile(root + "/" + name, bytes)
        }
        var out: [Summary] = []
        for p in origin.presentationPaths() { out.append(try write(presentation: p, into: root)) }
        return out
    }

    /// Writes one presentation (its `.ism` path relative to the root) below `target`, mirroring that path.
    public func write(presentation: String, into target: String) throws(OriginError) -> Summary {
        let root = try prepare(target)
        let folder = root + "/" + presentation
        let manifest = try origin.clientManifest(presentation: presentation)
        var files = 0
        var bytes: Int64 = 0
        try OriginFiles.makeDirectories(folder)
        var made: Set<String> = []
        for reference in manifest.fragmentReferences() {
            guard let request = FragmentRequest(path: reference.path),
                case .success(let safe) = RequestPath.parse("/" + reference.path, maxLength: 4096),
                safe.segments.count == 2
            else {
                throw .badGateway(
                    "\(presentation): fragment URL \(reference.path) is not QualityLevels(B)/Fragments(name=T)")
            }
            let directory = folder + "/" + safe.segments[0]
            if made.insert(directory).inserted { try OriginFiles.makeDirectories(directory) }
            let body = try origin.fragmentBytes(presentation: presentation, request: request)
            try OriginFiles.writeFile(directory + "/" + safe.segments[1], body)
            files += 1
            bytes += Int64(body.count)
        }
        // The Manifest last: players enter through it, so a run stopped halfway (an error, a crash) leaves no
        // Manifest that names fragments not written yet.
        let manifestBytes = try origin.manifestBytes(presentation: presentation)
        try OriginFiles.writeFile(folder + "/Manifest", manifestBytes)
        files += 1
        bytes += Int64(manifestBytes.count)
        return Summary(presentation: presentation, folder: folder, files: files, bytes: bytes)
    }

    private func prepare(_ target: String) throws(OriginError) -> String {
        // Checked before anything is created, so a refused target leaves no folder behind in the root.
        guard !OriginFiles.isInside(OriginFiles.resolvedPath(target), root: origin.rootPath) else {
            throw .io("\(target) lies inside the served folder \(origin.rootPath); write the split tree elsewhere")
        }
        try OriginFiles.makeDirectories(target)
        guard let real = OriginFiles.realPath(target) else { throw .io("cannot resolve \(target)") }
        return real
    }
}
