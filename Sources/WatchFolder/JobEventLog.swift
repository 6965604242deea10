public import Foundation
internal import Platform

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
/// Each line goes out in one write on an `O_APPEND` descriptor (the platform layer's `AppendFile`), so lines
/// from a killed run are whole and a restarted daemon appends after them. After a power cut the file may end
/// inside a line (the page cache held the rest); opening it then ends that line first, so only the torn line is
/// lost and the next one stays readable. A line that cannot be written is an error for the caller to report,
/// never silently dropped. (The job store, not this log, is the record the daemon decides from.)
public final class JobEventLog: Sendable {
    /// Where the lines go.
    public enum Destination: Sendable, Equatable {
        case none
        case standardOutput
        case file(String)
    }

    private let file: AppendFile?

    public init(_ destination: Destination) throws {
        switch destination {
        case .none: file = nil
        case .standardOutput: file = try AppendFile.standardOutput()
        case .file(let path):
            let log = try AppendFile(path: path)
            if let existing = try? ReadableFile(path: path), existing.size > 0,
               (try? existing.read(at: existing.size - 1, count: 1)) != [0x0A] {
                try log.append([0x0A])
            }
            file = log
        }
    }

    /// Records `job` as it is now (`state` overrides the job's own state, for `discarded`). Throws when the
    /// line cannot be encoded or written (disk full, I/O error), naming the file.
    public func record(_ job: Job, state: String? = nil, at now: Date = Date()) throws {
        guard let file else { return }
        let event = JobEvent(time: Self.format(now), job: job.id, source: job.source, state: state ?? job.state.rawValue,
                             attempt: job.attempts, error: job.error, playbackPath: job.playbackPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(event)
        data.append(0x0A)
        try file.append(data)
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
