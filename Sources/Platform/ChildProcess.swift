internal import SystemPackage
#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Runs an external program to completion and collects what it wrote (C: `posix_spawnp`, `poll`, `waitpid`).
///
/// Not Foundation's `Process`: on Linux its `waitUntilExit` learns of an exit from `SIGCHLD`, and when children
/// end together it can miss one and wait forever beside the zombie (seen here in the test suite); its own
/// termination cannot help then, since a zombie is not "running". Here one thread reads both pipes with `poll`
/// until they close, kills the program when the time limit passes (it is not yet collected, so its process ID
/// is still its own), and then collects its exit with `waitpid`. The program gets standard input (/dev/null),
/// output and error, and no other descriptor of this process.
public enum ChildProcess {
    /// How a run ended, and what the program wrote.
    public struct Result: Sendable {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        /// Standard output (with standard error too when they were merged).
        public var output: [UInt8]
        /// Standard error (empty when merged into `output`).
        public var errors: [UInt8]
        /// Whether the time limit passed and the program was killed.
        public var timedOut: Bool
    }

    /// Runs `arguments[0]`, found on PATH, with the other arguments and this process's environment; standard
    /// input is /dev/null. `mergeErrors` sends standard error into `output`. After `timeLimit` seconds the
    /// program is killed (`SIGKILL`) and its result says so. Throws when it cannot start: `posix_spawnp`'s
    /// errno (`ENOENT` for a program not on PATH), or a pipe that cannot be made.
    public static func run(_ arguments: [String], mergeErrors: Bool = false, timeLimit: Double? = nil)
        throws(PlatformError) -> Result
    {
        guard let program = arguments.first else {
            throw PlatformError(.system(.invalidArgument), function: "posix_spawnp", path: "", detail: "no program")
        }
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw PlatformError(.system(Errno(rawValue: errno)), function: "pipe", path: program) }
        if !mergeErrors, pipe(&err) != 0 {
            let e = errno
            close(out[0]); close(out[1])
            throw PlatformError(.system(Errno(rawValue: e)), function: "pipe", path: program)
        }
        // Close-on-exec, so another child started meanwhile does not keep a write end open.
        for fd in out + err where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeErrors ? out[1] : err[1], 2)
        // Nothing else of ours reaches the program: a descriptor without close-on-exec (a server's socket, a
        // lock file) held open by a child would outlive our close of it (a client would wait for a FIN).
        // (glibc ≥ 2.34; Swift's Glibc module leaves it out, as it is a GNU extension: looked up by name.)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let started = posix_spawnp(&pid, program, &actions, nil, argv, environ)
        close(out[1])
        if err[1] >= 0 { close(err[1]) }
        guard started == 0 else {
            close(out[0])
            if err[0] >= 0 { close(err[0]) }
            throw PlatformError(.system(Errno(rawValue: started)), function: "posix_spawnp", path: program)
        }

        var output: [UInt8] = [], errors: [UInt8] = []
        var open = [out[0]] + (err[0] >= 0 ? [err[0]] : [])
        let deadline = timeLimit.map { monotonicSeconds() + $0 }
        var timedOut = false
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var wait: Int32 = -1
            if timedOut {
                wait = 1000  // after the kill, only a second more for what is still in the pipes
            } else if let deadline {
                wait = Int32(max(0, min(Double(Int32.max / 2), (deadline - monotonicSeconds()) * 1000)).rounded(.up))
            }
            let ready = poll(&fds, nfds_t(fds.count), wait)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if ready == 0 {
                // Something the program started may hold the pipes open after the kill: stop reading.
                if timedOut { break }
                // The time limit passed: the program is still ours to signal (not yet collected).
                timedOut = true
                _ = kill(pid, SIGKILL)
                continue
            }
            for p in fds where p.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(p.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if p.fd == out[0] { output += chunk[0..<n] } else { errors += chunk[0..<n] }
                } else if n == 0 || errno != EINTR && errno != EAGAIN {
                    close(p.fd)
                    open.removeAll { $0 == p.fd }
                }
            }
        }
        for fd in open { close(fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return Result(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal, output: output, errors: errors,
                      timedOut: timedOut)
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    /// `posix_spawn_file_actions_addclosefrom_np`, or nil where the C library has none.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    private static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
