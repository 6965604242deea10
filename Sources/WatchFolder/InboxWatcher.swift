internal import Foundation
internal import Platform
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// What the inbox watcher reports.
enum WatchSignal: Sendable, Equatable {
    /// A file was closed after writing or moved in: `relativePath` from the inbox root.
    case file(String)
    /// A folder appeared (created or moved in); it and everything already inside it should be scanned.
    case folder(String)
    /// The kernel dropped events (`IN_Q_OVERFLOW`): rescan everything.
    case overflow
}

/// Watches the inbox and its subfolders with inotify (`inotify_init1`, `inotify_add_watch` with
/// `IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE`), on a thread of its own that polls the descriptor so it
/// can be stopped. New subfolders are watched as they appear. Reserved and hidden folders are not watched.
///
/// Where inotify is missing or refuses (macOS, some network filesystems, the watch limit reached)
/// ``start()`` returns false, or a folder goes unwatched, and the periodic rescan still finds everything.
final class InboxWatcher: Sendable {
    private let root: String
    private let onSignal: @Sendable (WatchSignal) -> Void
    private let stopped = Atomic<Bool>(false)

    /// `root` is the absolute, resolved inbox path. Signals go to `onSignal`, from the watcher's thread.
    init(root: String, onSignal: @escaping @Sendable (WatchSignal) -> Void) {
        self.root = root
        self.onSignal = onSignal
    }

    /// Starts watching. False when inotify is not available here (or no thread could be started).
    func start() -> Bool {
        #if os(Linux)
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { return false }
        do {
            // The loop blocks in poll(2): a thread of its own, never one of the cooperative pool.
            try Blocking.startThread(name: "smoothpack.inotify", stackSize: 1 << 20) { [self] in loop(fd: fd) }
        } catch {
            close(fd)
            return false
        }
        return true
        #else
        return false
        #endif
    }

    /// Stops the thread within about a quarter of a second.
    func stop() {
        stopped.store(true, ordering: .releasing)
    }

    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    #if os(Linux)
    private func loop(fd: Int32) {
        defer { close(fd) }
        var folders: [Int32: String] = [:]   // watch descriptor → folder relative to root ("" for root)
        addTree("", fd: fd, folders: &folders)
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        while !isStopped {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 250)
            if ready <= 0 { continue }
            let count = read(fd, buffer, bufferSize)
            if count <= 0 { continue }
            var offset = 0
            let headerSize = 16   // int wd; uint32 mask, cookie, len
            while offset + headerSize <= count {
                let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                var name = ""
                if length > 0 {
                    let bytes = UnsafeRawBufferPointer(start: buffer + offset + headerSize, count: length)
                    name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                offset += headerSize + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { onSignal(.overflow); continue }
                if mask & UInt32(IN_IGNORED) != 0 { folders[wd] = nil; continue }
                guard let folder = folders[wd], !name.isEmpty else { continue }
                let relative = folder.isEmpty ? name : "\(folder)/\(name)"
                if mask & UInt32(IN_ISDIR) != 0 {
                    let components = relative.split(separator: "/").map(String.init)
                    if InboxRules.isIgnoredFolder(components) { continue }
                    if mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0 {
                        addTree(relative, fd: fd, folders: &folders)
                        onSignal(.folder(relative))
                    }
                } else if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0 {
                    if InboxRules.isCandidate(relativePath: relative) { onSignal(.file(relative)) }
                }
            }
        }
    }

    /// Watches `relative` and every folder below it that is not ignored.
    private func addTree(_ relative: String, fd: Int32, folders: inout [Int32: String]) {
        let absolute = relative.isEmpty ? root : "\(root)/\(relative)"
        let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_ONLYDIR)
        let wd = inotify_add_watch(fd, absolute, mask)
        guard wd >= 0 else { return }   // ENOSPC (max_user_watches) and friends: the rescan covers it
        folders[wd] = relative
        let names = (try? FileManager.default.contentsOfDirectory(atPath: absolute)) ?? []
        for name in names {
            let child = relative.isEmpty ? name : "\(relative)/\(name)"
            guard !InboxRules.isIgnoredFolder(child.split(separator: "/").map(String.init)),
                  (try? FileStat(path: "\(root)/\(child)"))?.isDirectory == true else { continue }
            addTree(child, fd: fd, folders: &folders)
        }
    }
    #endif
}

/// Lists the candidate files under the inbox (relative paths), skipping reserved and hidden folders.
enum InboxScanner {
    static func candidates(root: String, include: (String) -> Bool = InboxRules.isCandidate(relativePath:))
        -> [(path: String, stat: FileStat)]
    {
        var found: [(String, FileStat)] = []
        func walk(_ relative: String) {
            let absolute = relative.isEmpty ? root : "\(root)/\(relative)"
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: absolute) else { return }
            for name in names.sorted() {
                let child = relative.isEmpty ? name : "\(relative)/\(name)"
                guard let stat = try? FileStat(path: "\(root)/\(child)") else { continue }
                if stat.isDirectory {
                    if !InboxRules.isIgnoredFolder(child.split(separator: "/").map(String.init)) { walk(child) }
                } else if stat.isRegularFile && include(child) {
                    found.append((child, stat))
                }
            }
        }
        walk("")
        return found
    }
}
