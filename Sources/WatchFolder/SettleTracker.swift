public import Foundation
internal import SmoothPack

/// Which paths under the inbox are candidate sources.
public enum InboxRules {
    /// Folders at the inbox root that belong to the daemon, never scanned: finished and failed sources.
    /// Hidden folders (such as `.smoothpack/`, where the state database lives by default) are skipped too.
    public static let reservedFolders: Set<String> = ["done", "failed"]

    /// Whether a file name is never taken: hidden, or a temporary name (`.part`, `.tmp`, `.crdownload`,
    /// `.partial`, trailing `~`, …; see `SourceScanner.isTemporaryName`), or an error report we wrote.
    public static func isIgnoredFileName(_ name: String) -> Bool {
        SourceScanner.isTemporaryName(name) || name.hasSuffix(".error.txt")
    }

    /// Whether the folder at `relativePath` (components from the inbox root) is skipped with all it holds.
    public static func isIgnoredFolder(_ components: [String]) -> Bool {
        guard let first = components.first else { return false }
        if components.count == 1 && reservedFolders.contains(first) { return true }
        return components.contains { $0.hasPrefix(".") }
    }

    /// Whether a relative path `a/b/clip.mp4` names a candidate source (caption sidecars are not sources:
    /// they go with the source of the same name).
    public static func isCandidate(relativePath: String) -> Bool {
        var components = relativePath.split(separator: "/").map(String.init)
        guard let name = components.popLast(), !isIgnoredFileName(name), !CaptionSidecars.isSidecar(name) else {
            return false
        }
        if components.isEmpty { return true }
        if reservedFolders.contains(components[0]) { return false }
        return !components.contains { $0.hasPrefix(".") }
    }
}

/// Where the watch-folder daemon reads the time for its rules: settle times, rescans, retry backoff and
/// the times it records. The daemon uses ``SystemWallClock``; tests inject a clock they advance by hand, so
/// the rules are checked without racing real time.
public protocol WallClock: Sendable {
    /// The current time.
    var now: Date { get }
}

/// The system's wall clock (`Date()`).
public struct SystemWallClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}

/// Decides when a file is complete enough to take: its size and mtime must stay the same for `settle`
/// seconds of observation. Pure bookkeeping over observations, so it is tested with a fake clock.
///
/// A file that stops growing for longer than the settle time while its writer still holds it open looks
/// complete here; the open-for-writing check (``OpenForWriting``) covers that case on local filesystems.
public struct SettleTracker: Sendable {
    /// A file being watched until it is stable.
    public struct Candidate: Sendable, Equatable {
        public var size: Int64
        public var modificationTime: Int64
        /// When the current size and mtime were first seen.
        public var stableSince: Date
    }

    public var settle: TimeInterval
    public private(set) var candidates: [String: Candidate] = [:]

    public init(settle: TimeInterval) { self.settle = settle }

    /// Records what a file looks like now. Returns true when it has been unchanged for `settle` seconds.
    @discardableResult
    public mutating func observe(_ path: String, size: Int64, modificationTime: Int64, at now: Date) -> Bool {
        if let known = candidates[path], known.size == size, known.modificationTime == modificationTime {
            return now.timeIntervalSince(known.stableSince) >= settle
        }
        candidates[path] = Candidate(size: size, modificationTime: modificationTime, stableSince: now)
        return settle <= 0
    }

    /// Stops tracking a path (taken, vanished, or rejected).
    public mutating func forget(_ path: String) { candidates[path] = nil }

    /// Paths being tracked.
    public var paths: [String] { Array(candidates.keys) }

    /// When the earliest candidate could become stable, if any is tracked.
    public var nextDeadline: Date? {
        candidates.values.map { $0.stableSince.addingTimeInterval(settle) }.min()
    }
}
