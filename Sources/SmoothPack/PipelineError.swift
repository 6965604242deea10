internal import Foundation
internal import Platform

/// Why one source failed, in one line: the file, the stage and the reason.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public enum Stage: String, Sendable, Codable {
        case read, probe, plan, encode, package, describe, check, publish
    }
    public var source: String
    public var stage: Stage
    public var message: String
    /// False for bad media (retrying cannot help); true for I/O trouble such as a full disk.
    public var isTransient: Bool

    public init(source: String, stage: Stage, message: String, isTransient: Bool = false) {
        self.source = source
        self.stage = stage
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String { "\(source): \(stage.rawValue) failed: \(message)" }

    /// Wraps any error of a stage, keeping its own text (which may already name the file).
    static func wrap(_ error: any Error, source: String, stage: Stage) -> PipelineError {
        if let e = error as? PipelineError { return e }
        var text = String(describing: error)
        if text.hasPrefix(source + ": ") { text.removeFirst(source.count + 2) }
        let transient: Bool
        if let posix = error as? POSIXError {
            transient = [.ENOSPC, .EIO, .EAGAIN, .EDQUOT, .EMFILE, .ENFILE].contains(posix.code)
        } else if let platform = error as? PlatformError, let errno = platform.errno {
            transient = PlatformError.transientErrnos.contains(errno)
        } else {
            transient = text.contains("No space left") || text.contains("Input/output error")
        }
        return PipelineError(source: source, stage: stage, message: text.replacingOccurrences(of: "\n", with: " "),
                             isTransient: transient)
    }
}
