import Foundation

extension Profile {
    /// Loads a profile by name or path.
    ///
    /// - A value ending in `.yaml`/`.yml` or containing `/` is a path to a profile file.
    /// - Otherwise it is a name (`[A-Za-z0-9_-]+`): `<profilesDirectory>/<name>.yaml` when that file exists,
    ///   else the built-in profile of that name (``BuiltinProfiles``), so `default`, `fast` and
    ///   `bench-4rung` work from any directory.
    ///
    /// - Parameter profilesDirectory: where named profiles live, typically from
    ///   ``ProfilesDirectory/locate(explicit:environment:executablePath:currentDirectory:)``; nil for
    ///   built-ins only.
    public static func load(_ nameOrPath: String, profilesDirectory: String?) throws(ProfileError) -> Profile {
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") {
            return try load(contentsOf: nameOrPath)
        }
        guard !nameOrPath.isEmpty, nameOrPath.unicodeScalars.allSatisfy({
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }) else {
            throw ProfileError(kind: .notFound, file: nameOrPath, keyPath: "",
                               reason: "a profile name is [A-Za-z0-9_-]+ (or give a path to a .yaml file)")
        }
        if let directory = profilesDirectory {
            let path = (directory as NSString).appendingPathComponent("\(nameOrPath).yaml")
            if FileManager.default.fileExists(atPath: path) {
                return try load(contentsOf: path)
            }
        }
        if let builtin = BuiltinProfiles.yaml(named: nameOrPath) {
            return try parse(yaml: builtin, file: "builtin:\(nameOrPath)", name: nameOrPath)
        }
        var available = Set(BuiltinProfiles.names)
        if let directory = profilesDirectory {
            available.formUnion(ProfilesDirectory.profileNames(in: directory))
        }
        let place = profilesDirectory.map { "in \($0) or " } ?? ""
        throw ProfileError(kind: .notFound, file: nameOrPath, keyPath: "",
                           reason: "no profile named '\(nameOrPath)' \(place)among the built-ins (available: "
                               + available.sorted().joined(separator: ", ") + ")")
    }

    /// Reads and validates a profile file; the profile's name is the file's stem.
    public static func load(contentsOf path: String) throws(ProfileError) -> Profile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ProfileError(kind: .notFound, file: path, keyPath: "", reason: "no such file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileError(kind: .unreadable, file: path, keyPath: "", reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProfileError(kind: .unreadable, file: path, keyPath: "", reason: "not UTF-8 text")
        }
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try parse(yaml: text, file: path, name: stem)
    }

    /// The built-in profile `name` (`default`, `fast`, `bench-4rung`), parsed from its embedded text.
    public static func builtin(_ name: String) throws(ProfileError) -> Profile {
        guard let yaml = BuiltinProfiles.yaml(named: name) else {
            throw ProfileError(kind: .notFound, file: "builtin:\(name)", keyPath: "",
                               reason: "no built-in profile of that name (available: \(BuiltinProfiles.names.joined(separator: ", ")))")
        }
        return try parse(yaml: yaml, file: "builtin:\(name)", name: name)
    }
}

/// Finding the `profiles/` directory at run time.
public enum ProfilesDirectory {
    /// Which rule found the directory.
    public enum Origin: String, Sendable, Equatable {
        case explicit, environment, executableRelative, installedShare, currentDirectory
    }

    /// The environment variable naming a profiles directory.
    public static let environmentVariable = "SMOOTHPACK_PROFILES"

    /// Searches, in order: `explicit`; `$SMOOTHPACK_PROFILES`; `<executable dir>/../../profiles` (a
    /// `swift build` tree: `.build/debug/smoothpack`); `<executable dir>/../share/smoothpack/profiles`
    /// (an installed prefix); `<current directory>/profiles`.
    ///
    /// `explicit` and the environment variable, when given, must name an existing directory (a typo is an
    /// error, not a silent fallback). The three implicit places count only when they hold at least one
    /// `.yaml` file. Returns nil when nothing matched: named lookups then use the built-in profiles.
    ///
    /// - Parameters:
    ///   - environment: defaults to the process environment.
    ///   - executablePath: defaults to the running executable (symlinks resolved).
    ///   - currentDirectory: defaults to the process's current directory.
    public static func locate(explicit: String? = nil,
                              environment: [String: String] = processEnvironment(),
                              executablePath: String? = currentExecutablePath(),
                              currentDirectory: String = currentDirectoryPath())
        throws(ProfileError) -> (path: String, origin: Origin)? {
        if let explicit {
            guard isDirectory(explicit) else {
                throw ProfileError(kind: .notFound, file: explicit, keyPath: "", reason: "profiles directory does not exist")
            }
            return (explicit, .explicit)
        }
        if let env = environment[environmentVariable], !env.isEmpty {
            guard isDirectory(env) else {
                throw ProfileError(kind: .notFound, file: env, keyPath: "",
                                   reason: "\(environmentVariable) names no existing directory")
            }
            return (env, .environment)
        }
        var candidates: [(String, Origin)] = []
        if let exe = executablePath {
            let dir = (exe as NSString).deletingLastPathComponent
            candidates.append((standardized(dir, "../../profiles"), .executableRelative))
            candidates.append((standardized(dir, "../share/smoothpack/profiles"), .installedShare))
        }
        candidates.append((standardized(currentDirectory, "profiles"), .currentDirectory))
        for (path, origin) in candidates where isDirectory(path) && !profileNames(in: path).isEmpty {
            return (path, origin)
        }
        return nil
    }

    /// The process's environment variables.
    public static func processEnvironment() -> [String: String] { ProcessInfo.processInfo.environment }

    /// The process's current directory.
    public static func currentDirectoryPath() -> String { FileManager.default.currentDirectoryPath }

    /// The running executable's path with symlinks resolved, if Foundation knows it.
    public static func currentExecutablePath() -> String? {
        Bundle.main.executableURL?.resolvingSymlinksInPath().path
    }

    /// Stems of the `.yaml` files in `directory`, sorted.
    public static func profileNames(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    private static func standardized(_ base: String, _ relative: String) -> String {
        ((base as NSString).appendingPathComponent(relative) as NSString).standardizingPath
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
