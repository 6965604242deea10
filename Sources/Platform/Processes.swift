#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The few process facts file code needs (work folders named after their process, lock files).
public enum Processes {
    /// This process's id (`getpid(2)`).
    public static var currentID: Int32 { getpid() }

    /// Whether a process with this id exists (`kill(pid, 0)`: success, or `EPERM` for another user's process).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
