public import SystemPackage

/// The one error type of the platform layer: which C function failed, on which path, and why.
/// Reads like `open(/x/y) failed: No such file or directory`.
public struct PlatformError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why the call failed.
    public enum Kind: Sendable, Equatable {
        /// The C function returned an error; `errno` says which.
        case system(Errno)
        /// A read asked for bytes outside the file or buffer.
        case outOfBounds
        /// The file ended before the bytes its size promised (it shrank while open).
        case truncated
        /// The path names something other than a regular file where one was needed.
        case notRegularFile
        /// A relative path was refused by ``ConfinedRoot`` (`..`, NUL, hidden name, absolute, or an escape).
        case rejectedPath
        /// The file was closed before the call.
        case closed
    }

    /// Why the call failed.
    public var kind: Kind
    /// The C function (or operation) that failed, e.g. `open`, `pread`, `realpath`.
    public var function: String
    /// The path the call was about (empty when none).
    public var path: String
    /// More detail, e.g. the offset and count of a read out of bounds (empty when none).
    public var detail: String

    /// Creates an error.
    public init(_ kind: Kind, function: String, path: String, detail: String = "") {
        self.kind = kind
        self.function = function
        self.path = path
        self.detail = detail
    }

    /// Errnos that say "try again later" rather than "this input is bad": disk full or over quota, I/O error,
    /// temporarily unavailable, out of descriptors, busy.
    public static let transientErrnos: Set<Errno> = [
        .noSpace, .ioError, .resourceTemporarilyUnavailable, .diskQuotaExceeded, .tooManyOpenFiles,
        .tooManyOpenFilesInSystem, .resourceBusy,
    ]

    /// Whether the failure is one of ``transientErrnos``.
    public var isTransient: Bool { errno.map(Self.transientErrnos.contains) ?? false }

    /// Whether the call failed because the file (or the program, for ``ChildProcess``) does not exist (`ENOENT`).
    public var isNotFound: Bool { errno == .noSuchFileOrDirectory }

    /// The errno of a failed system call; nil for the other kinds.
    public var errno: Errno? {
        if case .system(let e) = kind { return e }
        return nil
    }

    /// One line: `open(/x/y) failed: No such file or directory`.
    public var description: String {
        let reason: String
        switch kind {
        case .system(let e): reason = e.description
        case .outOfBounds: reason = "out of bounds"
        case .truncated: reason = "file ended early"
        case .notRegularFile: reason = "not a regular file"
        case .rejectedPath: reason = "path refused"
        case .closed: reason = "file is closed"
        }
        let tail = detail.isEmpty ? "" : " (\(detail))"
        return "\(function)(\(path)) failed: \(reason)\(tail)"
    }

    static func system(_ function: String, _ path: FilePath, _ errno: Errno) -> PlatformError {
        PlatformError(.system(errno), function: function, path: path.string)
    }

    static func system(_ function: String, _ path: String, code: Int32) -> PlatformError {
        PlatformError(.system(Errno(rawValue: code)), function: function, path: path)
    }

    static func system(_ function: String, _ path: String, _ errno: Errno) -> PlatformError {
        PlatformError(.system(errno), function: function, path: path)
    }
}

/// Runs a swift-system call and turns its `Errno` into a ``PlatformError`` naming `function` and `path`.
@inline(__always)
func sys<T>(_ function: String, _ path: FilePath, _ body: () throws -> T) throws(PlatformError) -> T {
    do { return try body() } catch let e as Errno { throw .system(function, path, e) } catch {
        throw PlatformError(.system(.ioError), function: function, path: path.string, detail: "\(error)")
    }
}
