public import Foundation
public import SmoothPack
internal import Platform

/// What the daemon needs from an encode.
public struct EncodedSource: Sendable, Equatable {
    /// `<stem>/<version>/`, relative to the folder encoded into.
    public var prefix: String
    /// `<stem>/<version>/<stem>.ism/Manifest`, relative to the folder encoded into.
    public var playbackPath: String
    /// False when the same presentation was already published (an interrupted job that got that far).
    public var created: Bool

    public init(prefix: String, playbackPath: String, created: Bool) {
        self.prefix = prefix
        self.playbackPath = playbackPath
        self.created = created
    }
}

/// Turns one source into a published presentation. ``Packager`` is the real one; tests put in fakes
/// to drive failures and retries without media.
///
/// Contract (the one ``Packager`` keeps): nothing partial is ever visible under `outDir`; errors that may go
/// away are ``SmoothPack/PipelineError`` with `isTransient`; task cancellation throws `CancellationError`.
public protocol SourceEncoder: Sendable {
    func encode(source: URL, into outDir: URL) async throws -> EncodedSource
}

extension Packager: SourceEncoder {
    /// Runs ``SmoothPack/Packager/encode(source:into:onEvent:)`` and keeps what the daemon records.
    public func encode(source: URL, into outDir: URL) async throws -> EncodedSource {
        let presentation = try await encode(source: source, into: outDir, onEvent: { _ in })
        return EncodedSource(prefix: presentation.prefix, playbackPath: presentation.playbackPath,
                             created: presentation.status == .created)
    }
}

/// How a failed run is treated.
public enum FailureKind: Sendable, Equatable {
    /// May succeed later (I/O error, full disk): retried with backoff.
    case transient
    /// Retrying cannot help (bad media, bad profile): failed at once.
    case permanent
    /// Stopped by shutdown: queued again without counting the attempt.
    case cancelled

    /// `CancellationError` → cancelled; ``SmoothPack/PipelineError`` → by `isTransient`, except that any
    /// failure in the `publish` stage is transient (the media was good by then; a rename or write at the
    /// output root lost a race or met an I/O error, and a retry either publishes or finds the presentation
    /// already there); a POSIX I/O error → transient; anything else → permanent.
    public static func of(_ error: any Error) -> FailureKind {
        if error is CancellationError { return .cancelled }
        if let pipeline = error as? PipelineError {
            return pipeline.isTransient || pipeline.stage == .publish ? .transient : .permanent
        }
        if let platform = error as? PlatformError, platform.errno != nil {
            return platform.isTransient ? .transient : .permanent
        }
        if let posix = error as? POSIXError {
            return [.ENOSPC, .EIO, .EAGAIN, .EDQUOT, .EMFILE, .ENFILE, .EBUSY].contains(posix.code) ? .transient : .permanent
        }
        return .permanent
    }
}
