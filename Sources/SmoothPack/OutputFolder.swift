internal import Foundation
internal import Platform
internal import MediaCore
internal import SystemPackage

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
        FileSystem.exists(FilePath(presentation(stem, version).appendingPathComponent("upload-manifest.json").path))
    }

    /// A new private work folder.
    func makeWorkFolder() throws -> URL {
        try FileSystem.makeDirectories(FilePath(root.path))
        let name = ".tmp-\(Processes.currentID)-\(UUID().uuidString.prefix(8).lowercased())"
        let url = root.appendingPathComponent(name)
        try FileSystem.makeDirectories(FilePath(url.path))
        return url
    }

    /// Removes work folders left by processes that no longer run (a crash or `kill -9`).
    func removeStaleWorkFolders() {
        let names = (try? FileSystem.entries(of: FilePath(root.path))) ?? []
        for name in names where name.hasPrefix(".tmp-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[1]) else { continue }
            if pid == Processes.currentID || Processes.isRunning(pid) { continue }
            try? FileSystem.removeTree(FilePath(root.appendingPathComponent(name).path))
        }
    }

    enum PublishResult { case published, alreadyThere }

    /// Moves `work` to `<out>/<stem>/<version>/` atomically. When another run published the same version
    /// first, the work folder is dropped and the existing one stands.
    func publish(_ work: URL, stem: String, version: String) throws -> PublishResult {
        let target = FilePath(presentation(stem, version).path)
        let parent = target.removingLastComponent()
        // Every file's bytes reach the disk before the folder appears under its published name: a crash after the
        // rename must not leave a complete-looking version (its upload manifest is what marks it complete, and a
        // later run would take it as published) holding media that were still only in the page cache.
        try FileSystem.syncTree(FilePath(work.path))
        try FileSystem.makeDirectories(parent)
        do {
            try FileSystem.rename(FilePath(work.path), to: target)
        } catch {
            if (error.errno == .directoryNotEmpty || error.errno == .fileExists) && isPublished(stem, version) {
                try? FileSystem.removeTree(FilePath(work.path))
                return .alreadyThere
            }
            // Leaves no empty <stem>/ behind (fails harmlessly when it is not empty).
            if (try? FileSystem.entries(of: parent))?.isEmpty == true { try? FileSystem.removeTree(parent) }
            throw error
        }
        // The rename is durable once its folder is synced, and a new <stem>/ once the root is. A failure here is
        // reported (the caller must not act as if the folder were safe, e.g. delete the source); the folder stays,
        // and the next run takes it up again through `reuse`, which syncs it.
        try FileSystem.fsync(parent)
        try FileSystem.fsync(FilePath(root.path))
        return .published
    }

    /// Writes a small file at the root atomically (temporary name, fsync, rename), if it differs.
    func writeRootFile(_ name: String, _ contents: [UInt8]) throws {
        let target = FilePath(root.appendingPathComponent(name).path)
        if let file = try? ReadableFile(target), file.size == Int64(contents.count),
            (try? file.read(at: 0, count: contents.count)) == contents
        {
            return
        }
        // atomicWrite's temporary name is unique per call: several jobs of one process may write it at once.
        try FileSystem.atomicWrite(contents, to: target)
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

    // The bitrates in those names (the QualityLevel `Bitrate`, docs/format.md §4): whole kb/s, unique per stream.

    /// A declared bitrate rounded to whole kb/s, at least 1 kb/s.
    static func nominal(_ bitrate: Int) -> Int { max(1000, (bitrate + 500) / 1000 * 1000) }

    /// The average bitrate of `bytes` of media over `duration` (10 MHz), rounded up to whole kb/s, at least
    /// 1 kb/s: what a rung or track declares when its bitrate is known only once it is written.
    static func producedBitrate(bytes: Int64, duration: Int64) -> Int {
        let bps = duration > 0 ? Double(bytes) * 8 * Double(Clock.timescale) / Double(duration) : 0
        return max(1000, Int((bps / 1000).rounded(.up)) * 1000)
    }

    /// `bitrate`, or the next whole kb/s above it not in `used`; recorded in `used`.
    static func unique(_ bitrate: Int, in used: inout Set<Int>) -> Int {
        var b = bitrate
        while used.contains(b) { b += 1000 }
        used.insert(b)
        return b
    }
}
