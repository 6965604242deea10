internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Tells whether some process has a file open for writing, by reading `/proc`.
///
/// For every process `/proc/<pid>/fd/<n>` links are read; a link naming the file leads to
/// `/proc/<pid>/fdinfo/<n>`, whose `flags:` (octal) say whether the descriptor is `O_WRONLY` or `O_RDWR`.
///
/// Limits — it cannot see:
/// - writers on other machines (NFS, SMB, sshfs mounts), nor writers in other PID namespaces (containers);
/// - processes of other users when `/proc` is mounted with `hidepid`, or when the daemon runs without the
///   rights to read their `fd` folder (a dedicated user sees only its own processes unless it is root or
///   has `CAP_SYS_PTRACE`);
/// - a writer that closes the file between chunks (`rsync --inplace`, some uploaders): between two opens the
///   file looks closed, which is why the settle time still applies;
/// - a `mmap`'d writer whose descriptor was closed.
/// On systems without `/proc` (macOS) it always answers false. It is also racy by nature: a process may open
/// the file just after the scan, so it is one guard among three (temporary names, settle time, this).
public enum OpenForWriting {
    /// Whether any visible process holds `path` (an absolute, symlink-free path) open for writing.
    public static func isOpenForWriting(_ path: String) -> Bool {
        #if os(Linux)
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        for pid in pids where pid.first?.isNumber == true {
            let fdDir = "/proc/\(pid)/fd"
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdDir) else { continue }
            for fd in fds {
                guard readLink("\(fdDir)/\(fd)") == path else { continue }
                if let flags = fdFlags(pid: pid, fd: fd), flags & Int(O_ACCMODE) != Int(O_RDONLY) { return true }
            }
        }
        return false
        #else
        return false
        #endif
    }

    #if os(Linux)
    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The `flags:` line of `/proc/<pid>/fdinfo/<fd>`, an octal number.
    static func fdFlags(pid: String, fd: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("flags:") {
            return Int(line.dropFirst("flags:".count).trimmingCharacters(in: .whitespaces), radix: 8)
        }
        return nil
    }
    #endif
}
