#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// What identifies one version of a file: when any of these changes, cached parses of it are stale.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modificationNanoseconds: Int64
    var isRegularFile: Bool
    var isDirectory: Bool

    /// A strong ETag body for a byte range of this file version (hex fields, no quotes).
    func tag(offset: Int64, length: Int64) -> String {
        let fields = [inode, UInt64(bitPattern: modificationNanoseconds), UInt64(bitPattern: offset),
                      UInt64(bitPattern: length)]
        return fields.map { String($0, radix: 16) }.joined(separator: "-")
    }
}

/// The few POSIX calls the origin needs beyond ``ISOBMFF/FileSource``.
enum FileSystem {
    /// `stat(2)` (follows symlinks); nil when the path does not exist or cannot be read.
    static func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        #if canImport(Darwin)
            let mtime = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
            let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
        let type = st.st_mode & S_IFMT
        return FileIdentity(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            modificationNanoseconds: mtime, isRegularFile: type == S_IFREG, isDirectory: type == S_IFDIR)
    }

    /// `realpath(3)`: the absolute path with every symlink, `.` and `..` resolved; nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

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

    /// Whether `path` (already resolved) is `root` or lies below it.
    static func isInside(_ path: String, root: String) -> Bool {
        if root == "/" { return path.hasPrefix("/") }
        return path == root || path.hasPrefix(root + "/")
    }

    /// The names in a directory (no `.`/`..`), unsorted; empty if it cannot be read.
    static func entries(of directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Creates `path` and its missing parents (mode 0755).
    static func makeDirectories(_ path: String) throws(OriginError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw OriginError.io("mkdir \(current): \(errnoText())")
            }
        }
        guard identity(path)?.isDirectory == true else { throw OriginError.io("\(path) is not a directory") }
    }

    /// Writes `bytes` to `path` atomically (see the raw-buffer overload).
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(OriginError) {
        let result: Result<Void, OriginError> = bytes.withUnsafeBytes { raw in
            do throws(OriginError) { try writeFile(path, raw) } catch { return .failure(error) }
            return .success(())
        }
        try result.get()
    }

    /// Writes `bytes` to `path` through a temporary file renamed into place, so a reader never sees half a file.
    static func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) throws(OriginError) {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OriginError.io("open \(temporary): \(errnoText())") }
        var done = 0
        while done < bytes.count {
            guard let base = bytes.baseAddress else { break }
            let n = write(fd, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let text = errnoText()
                close(fd)
                unlink(temporary)
                throw OriginError.io("write \(temporary): \(text)")
            }
            done += n
        }
        guard close(fd) == 0 else { throw OriginError.io("close \(temporary): \(errnoText())") }
        guard rename(temporary, path) == 0 else {
            let text = errnoText()
            unlink(temporary)
            throw OriginError.io("rename \(temporary): \(text)")
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) + " (\(errno))" }
}
