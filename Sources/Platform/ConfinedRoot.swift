public import SystemPackage

/// A folder that relative paths from outside (URLs, job files) are resolved under, and never escape.
/// One function every caller uses: ``resolve(_:)``.
public struct ConfinedRoot: Sendable, Equatable {
    /// The root with every symlink resolved (`realpath(3)` at creation).
    public let root: FilePath

    /// Resolves `root` (which must exist) once.
    public init(root: FilePath) throws(PlatformError) {
        self.root = try FileSystem.realPath(root)
    }

    /// The path of `relative` under the root, with symlinks resolved as far as the path exists.
    ///
    /// Refuses (`.rejectedPath`) an empty or absolute path, NUL, an empty, `.` or `..` component, a component
    /// starting with `.` (hidden files), and any path whose resolved form is not the root or below it, compared
    /// on path components (so `/srv/media-old` is not inside `/srv/media`). Nothing is percent-decoded: `%2e%2e`
    /// is a name like any other. The result need not exist; opening it reports that.
    public func resolve(_ relative: String) throws(PlatformError) -> FilePath {
        func refuse(_ why: String) -> PlatformError {
            PlatformError(.rejectedPath, function: "resolve", path: relative, detail: why)
        }
        guard !relative.isEmpty else { throw refuse("empty") }
        guard !relative.utf8.contains(0) else { throw refuse("NUL in path") }
        guard !relative.hasPrefix("/") else { throw refuse("absolute path") }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            guard !part.isEmpty else { throw refuse("empty component") }
            guard part != "..", part != "." else { throw refuse("dot component") }
            guard !part.hasPrefix(".") else { throw refuse("hidden name") }
        }
        var joined = root
        for part in parts {
            guard let component = FilePath.Component(String(part)) else { throw refuse("bad component") }
            joined.append(component)
        }
        guard let resolved = Self.resolveExisting(joined) else { throw refuse("cannot resolve (dangling symlink?)") }
        guard Self.isInside(resolved, root: root) else { throw refuse("resolves outside the root") }
        return resolved
    }

    /// Whether `path` is `root` or below it, compared on components (both already resolved).
    public static func isInside(_ path: FilePath, root: FilePath) -> Bool {
        path.starts(with: root)
    }

    /// `path` with symlinks resolved for its longest existing prefix and the missing rest appended; nil when
    /// a component exists but cannot be resolved (a dangling symlink would be followed by a later open).
    static func resolveExisting(_ path: FilePath) -> FilePath? {
        var existing = path
        var missing: [FilePath.Component] = []
        while true {
            if let real = try? FileSystem.realPath(existing) {
                var out = real
                for c in missing.reversed() { out.append(c) }
                return out
            }
            if FileSystem.exists(existing) { return nil }
            guard let last = existing.lastComponent else { return nil }
            missing.append(last)
            existing.removeLastComponent()
        }
    }
}
