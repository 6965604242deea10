import ArgumentParser
import ISOBMFF

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `smoothpack inspect FILE [--json] [--check]`: prints the box tree of a `.ismv`/`.isma` (``BoxDump``),
/// or its JSON form, or runs ``IsmvChecker`` (docs/format.md §8) and exits 1 on violations.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the box tree of an .ismv/.isma file, or check it against the Smooth Streaming rules.")

    @Argument(help: "The .ismv or .isma file.")
    var file: String

    @Flag(help: "Print the box tree as JSON.")
    var json = false

    @Flag(help: "Check against the muxer's self-checks (docs/format.md §8): print OK, or the violations and exit 1.")
    var check = false

    /// Violations printed at most.
    static let maxViolations = 20

    func validate() throws {
        if json && check { throw ValidationError("--json and --check cannot be combined.") }
    }

    func run() async throws {
        let source: FileSource
        do {
            source = try FileSource(path: file)
        } catch {
            printError("error: cannot read \(file): \(error)")
            throw ExitCode(1)
        }
        if check {
            let violations = IsmvChecker.check(source)
            guard !violations.isEmpty else {
                print("OK: \(file)")
                return
            }
            print("FAIL: \(file): \(violations.count) violation\(violations.count == 1 ? "" : "s")")
            for v in violations.prefix(Self.maxViolations) { print("  \(v)") }
            if violations.count > Self.maxViolations { print("  … \(violations.count - Self.maxViolations) more") }
            throw ExitCode(1)
        }
        let tree: [DumpNode]
        do {
            tree = try BoxDump.tree(of: source)
        } catch {
            printError("error: cannot read \(file): \(error)")
            throw ExitCode(1)
        }
        print(json ? BoxDump.json(tree) : BoxDump.render(tree), terminator: "")
        if let problem = tree.lazy.compactMap(\.firstError).first {
            printError("error: \(file): \(problem)")
            throw ExitCode(1)
        }
    }
}

/// One line on standard error.
private func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
