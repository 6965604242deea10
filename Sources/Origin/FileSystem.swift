internal import ISOBMFF
internal import Platform
internal import SystemPackage

/// What identifies one version of a file (device, inode, size, mtime, type): when any of these changes,
/// cached parses of it are stale. The platform layer's `stat(2)` result.
typealias FileIdentity = FileStatus

extension FileStatus {
    /// A strong ETag body for a byte range of this file version (hex fields, no quotes).
    func tag(offset: Int64, length: Int64) -> String {
        let fields = [inode, UInt64(bitPattern: modificationNanoseconds), UInt64(bitPattern: offset),
                      UInt64(bitPattern: length)]
        return fields.map { String($0, radix: 16) }.joined(separator: "-")
    }
}

/// Where a path relative to the served root leads (through ``Platform/ConfinedRoot``, the one confinement
/// check): refused (it leaves the root, names a dangling link, or has a name longer than any file system
/// allows), absent, or an existing file or folder.
enum Located {
    case outside
    case missing
    case found(FilePath, FileIdentity)
}

/// The origin's file access, all through the platform layer (`Platform`): confinement, `stat`, `realpath`,
/// `readdir`, read-only files read with `pread`, atomic writes for the split tree. Blocking: called on
/// ``FileWork``'s threads when answering requests.
enum OriginFiles {
    /// Resolves `relative` under `root` and stats what is there.
    static func locate(_ relative: String, under root: ConfinedRoot) -> Located {
        // No file has a name over NAME_MAX (255 bytes on Linux and macOS): refused before any path work, which
        // grows with the square of a name's length (a 4 KiB name took seconds to resolve in a debug build).
        guard !relative.utf8.split(separator: UInt8(ascii: "/")).contains(where: { $0.count > maxNameBytes }) else {
            return .outside
        }
        // Absent paths are answered by one stat of the lexical path: ConfinedRoot.resolve walks a missing path
        // back one component at a time (a 1,000-component target took over 30 s), so it only sees paths that
        // exist, where its first realpath succeeds. A dangling symlink is absent too, as it was before.
        // (FilePath(String), not FilePath.appending: appending a 2,000-component string took over a second.)
        let lexical = FilePath(root.root.string + "/" + relative)
        guard (try? Platform.FileSystem.status(lexical)) != nil else { return .missing }
        guard let path = try? root.resolve(relative) else { return .outside }
        guard let status = try? Platform.FileSystem.status(path) else { return .missing }
        return .found(path, status)
    }

    /// The longest file name (NAME_MAX) of Linux and macOS file systems, in bytes.
    static let maxNameBytes = 255

    /// `stat(2)` (follows symlinks); nil when the path does not exist or cannot be read.
    static func status(_ path: FilePath) -> FileIdentity? { try? Platform.FileSystem.status(path) }

    /// `realpath(3)`; nil if the path does not exist.
    static func realPath(_ path: String) -> String? { (try? Platform.FileSystem.realPath(FilePath(path)))?.string }

    /// `path` with symlinks resolved as far as it exists, the missing rest appended (made absolute against the
    /// current directory).
    static func resolvedPath(_ path: String) -> String {
        var existing = path.hasPrefix("/") ? path : (realPath(".") ?? "") + "/" + path
        var missing: [Substring] = []
        while realPath(existing) == nil, let slash = existing.lastIndex(of: "/"), slash != existing.startIndex {
            missing.insert(existing[existing.index(after: slash)...], at: 0)
            existing = String(existing[..<slash])
        }
        let base = realPath(existing) ?? existing
        return ([base] + missing.map(String.init)).joined(separator: "/")
    }

    /// Whether `path` (already resolved) is `root` or lies below it, compared on path components.
    static func isInside(_ path: String, root: String) -> Bool {
        ConfinedRoot.isInside(FilePath(path), root: FilePath(root))
    }

    /// The names in a directory (no `.`/`..`), sorted; empty if it cannot be read.
    static func entries(of directory: String) -> [String] {
        (try? Platform.FileSystem.entries(of: FilePath(directory))) ?? []
    }

    /// Creates `path` and its missing parents.
    static func makeDirectories(_ path: String) throws(OriginError) {
        do throws(PlatformError) { try Platform.FileSystem.makeDirectories(FilePath(path)) } catch {
            throw .io(error.description)
        }
    }

    /// Writes `bytes` to `path` so that a reader never sees half a file (temporary file, fsync, rename).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(OriginError) {
        do throws(PlatformError) { try Platform.FileSystem.atomicWrite(bytes, to: FilePath(path)) } catch {
            throw .io(error.description)
        }
    }

    /// Opens a regular file read-only (its status is taken at open).
    static func open(_ path: FilePath) throws(PlatformError) -> ReadableFile { try ReadableFile(path) }

    /// The whole of a small file, refused beyond `limit` bytes before anything is allocated.
    static func readSmallFile(_ path: FilePath, limit: Int64) throws(OriginError) -> [UInt8] {
        do {
            let file = try ReadableFile(path)
            defer { file.close() }
            guard file.size <= limit else { throw OriginError.badGateway("\(path) is larger than \(limit) bytes") }
            return try file.read(at: 0, count: Int(file.size))
        } catch let e as OriginError {
            throw e
        } catch {
            throw .badGateway("\(error)")
        }
    }
}

/// A ``Platform/ReadableFile`` seen through ISOBMFF's source protocol (box headers, `tfra` index). Goes
/// away once ISOBMFF reads through the platform layer's `RandomAccessSource`.
struct MediaSource: ISOBMFF.RandomAccessSource, Sendable {
    let file: ReadableFile
    var size: Int64 { file.size }
    var path: String { file.path.string }
    func read(at offset: Int64, count: Int) throws -> [UInt8] { try file.read(at: offset, count: count) }
}
