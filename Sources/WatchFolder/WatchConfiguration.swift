public import Foundation

/// What happens to a source once its presentation is published.
public enum SuccessAction: String, Sendable, CaseIterable, Codable {
    /// Moved to `<inbox>/done/<relative path>` (the default).
    case move
    /// Left where it is; the job store remembers it, so it is not taken again.
    case keep
    /// Deleted.
    case delete
}

/// Settings of one ``WatchFolderService``.
public struct WatchConfiguration: Sendable {
    /// The watched folder.
    public var inbox: URL
    /// The output root; `<inbox>/a/b/clip.mp4` publishes under `<out>/a/b/clip/<version>/`.
    public var out: URL
    /// Sources encoded at the same time.
    public var jobs: Int
    /// Seconds a file's size and mtime must stay unchanged before it is taken.
    public var settle: TimeInterval
    /// Seconds between full rescans of the inbox (besides inotify events).
    public var rescan: TimeInterval
    public var onSuccess: SuccessAction
    /// Seconds running jobs get to finish after a shutdown request before they are cancelled and requeued.
    public var grace: TimeInterval
    /// Runs allowed for a job that keeps failing transiently (the first run counts).
    public var maxAttempts: Int
    /// Delay before the first retry; doubles each attempt, up to ``maxRetryDelay``.
    public var retryDelay: TimeInterval
    public var maxRetryDelay: TimeInterval
    /// Whether to skip files some process holds open for writing (see ``OpenForWriting``).
    public var checkOpenWriters: Bool
    /// Whether to use inotify (the rescan runs either way).
    public var useInotify: Bool

    public init(inbox: URL, out: URL, jobs: Int = 1, settle: TimeInterval = 5, rescan: TimeInterval = 30,
                onSuccess: SuccessAction = .move, grace: TimeInterval = 30, maxAttempts: Int = 5,
                retryDelay: TimeInterval = 10, maxRetryDelay: TimeInterval = 600, checkOpenWriters: Bool = true,
                useInotify: Bool = true) {
        precondition(jobs >= 1, "at least one job at a time")
        precondition(maxAttempts >= 1, "at least one attempt")
        self.inbox = inbox
        self.out = out
        self.jobs = jobs
        self.settle = settle
        self.rescan = rescan
        self.onSuccess = onSuccess
        self.grace = grace
        self.maxAttempts = maxAttempts
        self.retryDelay = retryDelay
        self.maxRetryDelay = maxRetryDelay
        self.checkOpenWriters = checkOpenWriters
        self.useInotify = useInotify
    }

    /// Delay before the run after `attempts` runs: `retryDelay × 2^(attempts-1)`, capped.
    public func backoff(afterAttempts attempts: Int) -> TimeInterval {
        let exponent = Double(max(0, min(attempts - 1, 30)))
        return min(maxRetryDelay, retryDelay * pow(2, exponent))
    }
}
