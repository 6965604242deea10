public import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// One line of the `--events` log: a job's state change.
public struct JobEvent: Sendable, Equatable, Codable {
    /// ISO 8601 with milliseconds, UTC.
    public var time: String
    public var job: Int64
    /// Source path relative to the inbox.
    public var source: String
    /// `queued`, `running`, `done`, `failed`, or `discarded` (the source vanished or changed before its run).
    public var state: String
    /// Runs started so far.
    public var attempt: Int
    public var error: String?
    /// Relative to `<out>`, once done.
    public var playbackPath: String?
}

/// Writes one JSON line per job state change to a file (appending) or standard output.
///
/// Each line goes out in one `write(2)` on an `O_APPEND` descriptor, so lines from a crashed run are whole
/// and a restarted daemon appends after them.
public final class JobEventLog: Sendable {
    /// Where the lines go.
    public enum Destination: Sendable, Equatable {
        case none
        case standardOutput
        case file(String)
    }

    private let descriptor: Int32?
    private let closeOnDeinit: Bool
    private let lock = NSLock()

    public init(_ destination: Destination) throws {
        switch destination {
        case .none:
            descriptor = nil
            closeOnDeinit = false
        case .standardOutput:
            descriptor = STDOUT_FILENO
            closeOnDeinit = false
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            descriptor = fd
            closeOnDeinit = true
        }
    }

    deinit {
        if closeOnDeinit, let descriptor { close(descriptor) }
    }

    /// Records `job` as it is now (`state` overrides the job's own state, for `discarded`).
    public func record(_ job: Job, state: String? = nil, at now: Date = Date()) {
        guard let descriptor else { return }
        let event = JobEvent(time: Self.format(now), job: job.id, source: job.source, state: state ?? job.state.rawValue,
                             attempt: job.attempts, error: job.error, playbackPath: job.playbackPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(event) else { return }
        data.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
