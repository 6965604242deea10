internal import Foundation
internal import Glibc

/// The output folder's layout and its atomic publishing: work happens in `<out>/.tmp-<pid>-<random>/`
/// and the finished folder is renamed to `<out>/<stem>/<version>/` in one `rename(2)`.
struct OutputFolder {
    let root: URL

    /// `<out>/<stem>/<version>/`.
    func presentation(_ stem: String, _ version: String) -> URL {
        root.appendingPathComponent(stem).appendingPathComponent(version)
    }

    /// A complete, published presentation holds its upload manifest (written last, before the rename).
    func isPublished(_ stem: String, _ version: String) -> Bool {
        FileManager.default.fileExists(atPath: presentation(stem, version).appendingPathComponent("upload-manifest.json").path)
    }

    /// A new private work folder.
    func makeWorkFolder() throws -> URL {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let name = ".tmp-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    /// Removes work folders left by processes that no longer run (a crash or `kill -9`).
    func removeStaleWorkFolders() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for name in names where name.hasPrefix(".tmp-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[1]) else { continue }
            if pid == getpid() { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }   // still running
            try? FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
    }

    enum PublishResult { case published, alreadyThere }

    /// Moves `work` to `<out>/<stem>/<version>/` atomically. When another run published the same version
    /// first, the work folder is dropped and the existing one stands.
    func publish(_ work: URL, stem: String, version: String) throws -> PublishResult {
        let target = presentation(stem, version)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        if rename(work.path, target.path) == 0 {
            fsyncDirectory(target.deletingLastPathComponent())
            return .published
        }
        let code = errno
        if (code == ENOTEMPTY || code == EEXIST) && isPublished(stem, version) {
            try? FileManager.default.removeItem(at: work)
            return .alreadyThere
        }
        rmdir(target.deletingLastPathComponent().path)   // leaves no empty <stem>/ behind (fails if not empty)
        throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
    }

    /// Writes a small file at the root atomically (temporary name, then rename), if it differs.
    func writeRootFile(_ name: String, _ contents: [UInt8]) throws {
        let target = root.appendingPathComponent(name)
        if let existing = FileManager.default.contents(atPath: target.path), Array(existing) == contents { return }
        // Unique per call: several jobs of one process may write the same root file at once.
        let temporary = root.appendingPathComponent(".tmp-\(getpid())-\(UUID().uuidString.prefix(8))-\(name)")
        try Data(contents).write(to: temporary)
        guard rename(temporary.path, target.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    private func fsyncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// File names inside a presentation.
enum Naming {
    /// A URL- and S3-safe stem: letters, digits, `-`, `_` and `.`; anything else becomes `-`.
    static func stem(for source: URL) -> String {
        let raw = source.deletingPathExtension().lastPathComponent
        var out = ""
        for scalar in raw.unicodeScalars {
            let ok = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || scalar == "-" || scalar == "_" || scalar == "."
            out.unicodeScalars.append(ok ? scalar : "-")
        }
        while out.hasPrefix(".") || out.hasPrefix("-") { out.removeFirst() }
        return out.isEmpty ? "presentation" : out
    }

    static func videoFile(_ stem: String, bitrate: Int) -> String { "\(stem)_\(bitrate).ismv" }
    static func audioFile(_ stem: String, trackName: String, bitrate: Int) -> String { "\(stem)_\(trackName)_\(bitrate).isma" }
}
