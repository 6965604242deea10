internal import Foundation
internal import Platform
internal import SmoothManifest

/// Caption sidecars in the inbox (`clip.srt`, `clip.en.vtt`, … beside `clip.mp4`): never jobs of their own;
/// a source settles only when its sidecars have settled too (the pair is taken together), the sidecars are
/// part of the job's fingerprint (a changed or added caption is a new job, hence a new version), and they are
/// filed with their source. A caption that arrives after its source was filed under `done/` brings the source
/// (and the sidecars filed with it) back into the inbox, so the presentation is made again with every caption.
enum CaptionSidecars {
    static let extensions: Set<String> = ["srt", "vtt", "ttml", "dfxp"]

    static func isSidecar(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    /// The name without its last extension (`clip` for `clip.mp4`).
    static func base(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    /// Whether sidecar `name` belongs to a source named `source` (`clip.en.srt` to `clip.mp4`).
    static func belongs(_ name: String, to source: String) -> Bool {
        name != source && !isSidecar(source) && name.hasPrefix(base(source) + ".")
    }

    /// Absolute paths of the sidecars beside the source at `absolute`, sorted.
    static func sidecars(of absolute: String) -> [String] {
        let url = URL(fileURLWithPath: absolute)
        let folder = url.deletingLastPathComponent().path
        let source = url.lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().filter { isSidecar($0) && belongs($0, to: source) && !InboxRules.isIgnoredFileName($0) }
            .map { "\(folder)/\($0)" }
    }

    /// `fingerprint` with the sidecars' names and bytes folded into its hash (size and mtime stay the source's,
    /// which the run checks). Throws when a sidecar changes while read.
    static func fold(_ fingerprint: Fingerprint, sidecars: [String]) throws -> Fingerprint {
        guard !sidecars.isEmpty else { return fingerprint }
        var hash = SHA256()
        hash.update(Array("\(fingerprint.edgeHash)\n".utf8))
        for path in sidecars {
            let before = try FileStat(path: path)
            let file = try ReadableFile(path: path)
            defer { file.close() }
            let size = min(before.size, file.size, 16 << 20)   // caption files are capped at 16 MB when read
            hash.update(Array("sidecar \(URL(fileURLWithPath: path).lastPathComponent) \(before.size)\n".utf8))
            hash.update(try file.read(at: 0, count: Int(size)))
            guard try FileStat(path: path) == before else { throw FileChangedError(path: path) }
        }
        var out = fingerprint
        out.edgeHash = Hex.lower(hash.finalize())
        return out
    }

    /// A sidecar at `relative` whose source is filed under `done/`: the source's relative path in `done/`.
    static func filedOwner(ofSidecar relative: String, inbox: String) -> String? {
        let components = relative.split(separator: "/").map(String.init)
        guard let name = components.last else { return nil }
        let folder = components.dropLast().joined(separator: "/")
        let inboxFolder = folder.isEmpty ? inbox : "\(inbox)/\(folder)"
        let here = (try? FileManager.default.contentsOfDirectory(atPath: inboxFolder)) ?? []
        if here.contains(where: { !isSidecar($0) && belongs(name, to: $0) }) { return nil }   // its source is here
        let doneFolder = folder.isEmpty ? "\(inbox)/done" : "\(inbox)/done/\(folder)"
        let done = (try? FileManager.default.contentsOfDirectory(atPath: doneFolder)) ?? []
        guard let source = done.sorted().first(where: { !isSidecar($0) && belongs(name, to: $0) }) else { return nil }
        return folder.isEmpty ? source : "\(folder)/\(source)"
    }
}
