public import SystemPackage
#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// What `stat(2)`/`lstat(2)` say about a file.
public struct FileStatus: Sendable, Equatable, Hashable {
    /// Device id.
    public var device: UInt64
    /// Inode number.
    public var inode: UInt64
    /// Size in bytes.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var modificationNanoseconds: Int64
    /// A regular file.
    public var isRegularFile: Bool
    /// A directory.
    public var isDirectory: Bool
    /// A symbolic link (only from ``FileSystem/status(_:followSymlinks:)`` with `followSymlinks: false`).
    public var isSymlink: Bool

    init(_ st: stat) {
        #if canImport(Darwin)
            let mtime = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
            let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
        let type = st.st_mode & S_IFMT
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modificationNanoseconds = mtime
        isRegularFile = type == S_IFREG
        isDirectory = type == S_IFDIR
        isSymlink = type == S_IFLNK
    }

    static func of(descriptor fd: FileDescriptor, path: FilePath) throws(PlatformError) -> FileStatus {
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0 else { throw .system("fstat", path, Errno(rawValue: errno)) }
        return FileStatus(st)
    }
}

/// File-system calls on swift-system paths; every failure is a ``PlatformError`` naming the C function.
public enum FileSystem {
    /// `stat(2)` (or `lstat(2)` when `followSymlinks` is false).
    public static func status(_ path: FilePath, followSymlinks: Bool = true) throws(PlatformError) -> FileStatus {
        var st = stat()
        let rc = path.withPlatformString { followSymlinks ? stat($0, &st) : lstat($0, &st) }
        guard rc == 0 else { throw .system(followSymlinks ? "stat" : "lstat", path, Errno(rawValue: errno)) }
        return FileStatus(st)
    }

    /// Whether something exists at `path` (`lstat(2)` succeeds; a dangling symlink exists).
    public static func exists(_ path: FilePath) -> Bool {
        (try? status(path, followSymlinks: false)) != nil
    }

    /// `realpath(3)`: the absolute path with every symlink, `.` and `..` resolved; the path must exist.
    public static func realPath(_ path: FilePath) throws(PlatformError) -> FilePath {
        let resolved = path.withPlatformString { realpath($0, nil) }
        guard let resolved else { throw .system("realpath", path, Errno(rawValue: errno)) }
        defer { free(resolved) }
        return FilePath(platformString: resolved)
    }

    /// `rename(2)`: atomically replaces `to` (a file, or an empty directory when `from` is one).
    public static func rename(_ from: FilePath, to: FilePath) throws(PlatformError) {
        let rc = from.withPlatformString { f in to.withPlatformString { t in Glibc_rename(f, t) } }
        guard rc == 0 else {
            throw PlatformError(.system(Errno(rawValue: errno)), function: "rename", path: from.string,
                                detail: "to \(to.string)")
        }
    }

    /// `fsync(2)` on the file or directory at `path` (a directory's fsync makes renames in it durable).
    public static func fsync(_ path: FilePath) throws(PlatformError) {
        let fd = try sys("open", path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) }
        defer { _ = try? fd.close() }
        try fsync(fd, path: path)
    }

    /// `fsync(2)` on an open descriptor (`path` names it in errors).
    public static func fsync(_ fd: FileDescriptor, path: FilePath) throws(PlatformError) {
        while Glibc_fsync(fd.rawValue) != 0 {
            let e = Errno(rawValue: errno)
            if e == .interrupted { continue }
            // Some file systems cannot sync directories; that is not a failure to persist data.
            if e == .invalidArgument || e == .notSupported { return }
            throw .system("fsync", path, e)
        }
    }

    /// `fsync(2)` of every regular file and directory under `root` (symbolic links are not followed), each
    /// directory after what it holds, `root` last: what a folder holds survives a crash before it is renamed
    /// into view. A file whose data was written back long ago costs one cheap call.
    public static func syncTree(_ root: FilePath) throws(PlatformError) {
        let st = try status(root, followSymlinks: false)
        guard st.isDirectory else { return st.isRegularFile ? try fsync(root) : () }
        // walk lists a folder before what it holds: backwards, each folder comes after its contents.
        for entry in try walk(root, includeHidden: true).reversed() where entry.kind == .file || entry.kind == .directory {
            try fsync(root.appending(entry.relativePath))
        }
        try fsync(root)
    }

    /// `mkdir(2)` of `path` and its missing parents (mode 0755); fine if it already is a directory. A folder it
    /// creates survives a crash: the folder that holds it is synced (a file later made durable inside a new folder
    /// is lost with the folder if the folder's own name never reached the disk). A parent this process may not
    /// read (so cannot open to sync) is left as it is.
    public static func makeDirectories(_ path: FilePath, permissions: FilePermissions = [.ownerReadWriteExecute,
        .groupReadExecute, .otherReadExecute]) throws(PlatformError) {
        var current = path
        current.components.removeAll()  // keeps the root, if any
        var holders: [FilePath] = []
        for component in path.components {
            let holder = current
            current.append(component)
            let rc = current.withPlatformString { mkdir($0, mode_t(permissions.rawValue)) }
            if rc != 0 {
                let e = Errno(rawValue: errno)
                guard e == .fileExists else { throw .system("mkdir", current, e) }
            } else {
                holders.append(orCurrent(holder))
            }
        }
        guard try status(path).isDirectory else {
            throw PlatformError(.system(.notDirectory), function: "mkdir", path: path.string)
        }
        for holder in holders {
            do throws(PlatformError) { try fsync(holder) } catch {
                guard error.errno == .permissionDenied || error.errno == .notPermitted else { throw error }
            }
        }
    }

    /// Removes `path`: a file, a symlink (not its target) or a directory with everything under it.
    /// Missing is not an error.
    public static func removeTree(_ path: FilePath) throws(PlatformError) {
        let st: FileStatus
        do throws(PlatformError) { st = try status(path, followSymlinks: false) } catch {
            if error.errno == .noSuchFileOrDirectory { return }
            throw error
        }
        if st.isDirectory {
            for name in try entries(of: path) { try removeTree(path.appending(name)) }
            guard path.withPlatformString({ rmdir($0) }) == 0 else {
                throw .system("rmdir", path, Errno(rawValue: errno))
            }
        } else {
            try remove(path)
        }
    }

    /// `unlink(2)` of a file or symlink.
    public static func remove(_ path: FilePath) throws(PlatformError) {
        guard path.withPlatformString({ unlink($0) }) == 0 else { throw .system("unlink", path, Errno(rawValue: errno)) }
    }

    /// The names in a directory (no `.`/`..`), sorted by their UTF-8 bytes (C: `opendir`, `readdir`).
    public static func entries(of directory: FilePath) throws(PlatformError) -> [String] {
        guard let dir = directory.withPlatformString({ opendir($0) }) else {
            throw .system("opendir", directory, Errno(rawValue: errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// One entry of ``walk(_:includeHidden:)``.
    public struct WalkEntry: Sendable, Equatable {
        /// What the entry is (from `lstat(2)`: symlinks are reported, never followed).
        public enum Kind: Sendable, Equatable { case file, directory, symlink, other }
        /// `/`-separated path relative to the walked root.
        public var relativePath: String
        /// What it is.
        public var kind: Kind
        /// Size in bytes (`lstat`).
        public var size: Int64
    }

    /// Every entry under `root`, depth first, sorted by relative path (UTF-8 byte order, a directory before
    /// its contents). Symbolic links are listed as `.symlink` and not followed; names starting with `.` are
    /// skipped unless `includeHidden`.
    public static func walk(_ root: FilePath, includeHidden: Bool = false) throws(PlatformError) -> [WalkEntry] {
        var out: [WalkEntry] = []
        try walk(root, relative: "", includeHidden: includeHidden, into: &out)
        return out
    }

    private static func walk(_ root: FilePath, relative: String, includeHidden: Bool,
                             into out: inout [WalkEntry]) throws(PlatformError) {
        let dir = relative.isEmpty ? root : root.appending(relative)
        for name in try entries(of: dir) where includeHidden || !name.hasPrefix(".") {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let st = try status(dir.appending(name), followSymlinks: false)
            let kind: WalkEntry.Kind =
                st.isSymlink ? .symlink : st.isDirectory ? .directory : st.isRegularFile ? .file : .other
            out.append(WalkEntry(relativePath: rel, kind: kind, size: st.size))
            if kind == .directory { try walk(root, relative: rel, includeHidden: includeHidden, into: &out) }
        }
    }

    /// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, never a part, and
    /// the new one survives a crash: a temporary file beside it, `fsync`, `rename`, then `fsync` of the folder.
    public static func atomicWrite(_ bytes: some Collection<UInt8>, to path: FilePath,
                                   permissions: FilePermissions = [.ownerReadWrite, .groupRead, .otherRead])
        throws(PlatformError)
    {
        try writeBeside(path, permissions: permissions, replacing: true) { fd, temporary throws(PlatformError) in
            _ = try sys("write", temporary) { try fd.writeAll(bytes) }
        }
    }

    /// The way every durable write here puts a file in place: a temporary file beside `path` (`.tmp-<pid>-…`, the
    /// house pattern for work files, which stale-folder sweeps recognise by their pid) is filled by `fill`,
    /// synced, closed and renamed onto `path`, then the folder is synced. With `replacing: false` an existing
    /// `path` is an error (`EEXIST`) and stays as it is. On any failure the temporary is removed.
    private static func writeBeside(_ path: FilePath, permissions: FilePermissions, replacing: Bool,
                                    fill: (FileDescriptor, FilePath) throws(PlatformError) -> Void) throws(PlatformError)
    {
        guard let name = path.lastComponent else {
            throw PlatformError(.rejectedPath, function: "rename", path: path.string)
        }
        let folder = path.removingLastComponent()
        let temporary = folder.appending(".tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))-\(name.string)")
        do throws(PlatformError) {
            let fd = try sys("open", temporary) {
                try FileDescriptor.open(temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec],
                                        permissions: permissions)
            }
            do throws(PlatformError) {
                try fill(fd, temporary)
                try fsync(fd, path: temporary)
            } catch {
                _ = try? fd.close()
                throw error
            }
            try sys("close", temporary) { try fd.close() }
            guard replacing || !exists(path) else { throw PlatformError(.system(.fileExists), function: "rename", path: path.string) }
            try rename(temporary, to: path)
        } catch {
            _ = try? remove(temporary)
            throw error
        }
        try fsync(orCurrent(folder))
    }
}

extension FileSystem {
    /// Moves the file `from` to `to`, which must not exist, so that after a crash at any moment the file is at
    /// one place or the other, whole. On one file system: `rename(2)`, then `fsync` of both folders. Across file
    /// systems (`EXDEV`: a target folder on another disk or mount), where `rename` cannot go: a copy to a
    /// temporary name beside the target (permissions and modification time kept), `fsync`, `rename` into place,
    /// `fsync` of the target folder, and only then the removal of the original and `fsync` of its folder.
    /// (Foundation's `moveItem` copies without syncing and removes the original at once: a power cut could
    /// leave only an empty copy.)
    public static func moveFile(_ from: FilePath, to: FilePath) throws(PlatformError) {
        guard !exists(to) else { throw PlatformError(.system(.fileExists), function: "rename", path: to.string) }
        let fromFolder = from.removingLastComponent(), toFolder = to.removingLastComponent()
        do throws(PlatformError) {
            // Its bytes first: a rename that survives a crash must not bring an unwritten file along.
            try fsync(from)
            try rename(from, to: to)
        } catch {
            guard error.errno == .improperLink else { throw error }
            try copyDurably(from, to: to)
            try remove(from)
            try fsync(orCurrent(fromFolder))
            return
        }
        try fsync(orCurrent(toFolder))
        if fromFolder != toFolder { try fsync(orCurrent(fromFolder)) }
    }

    /// `from`'s bytes, permissions and modification time at `to` (which must not exist), on the disk: written to
    /// a temporary name beside `to`, synced, renamed into place, and the folder synced.
    private static func copyDurably(_ from: FilePath, to: FilePath) throws(PlatformError) {
        let input = try sys("open", from) { try FileDescriptor.open(from, .readOnly, options: [.closeOnExec]) }
        defer { _ = try? input.close() }
        var st = stat()
        guard fstat(input.rawValue, &st) == 0 else { throw .system("fstat", from, Errno(rawValue: errno)) }
        try writeBeside(to, permissions: FilePermissions(rawValue: st.st_mode & 0o7777), replacing: false) {
            output, temporary throws(PlatformError) in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try sys("read", from) { try input.read(into: buffer) }
                if n == 0 { break }
                _ = try sys("write", temporary) { try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<n])) }
            }
            // The modification time goes with the file (the watch folder's fingerprints include it).
            var times = [st.st_atim, st.st_mtim]
            guard futimens(output.rawValue, &times) == 0 else { throw .system("futimens", temporary, Errno(rawValue: errno)) }
        }
    }
}

extension FileSystem {
    /// `folder`, or `.` for the empty folder of a bare file name (`removingLastComponent()` of `name`).
    fileprivate static func orCurrent(_ folder: FilePath) -> FilePath { folder.isEmpty ? FilePath(".") : folder }
}

// The C functions under names that the static methods above do not shadow.
@inline(__always) private func Glibc_rename(_ a: UnsafePointer<CChar>, _ b: UnsafePointer<CChar>) -> Int32 {
    rename(a, b)
}
@inline(__always) private func Glibc_fsync(_ fd: Int32) -> Int32 { fsync(fd) }
