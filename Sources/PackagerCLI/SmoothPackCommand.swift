import ArgumentParser
import Foundation
import Platform
import SmoothPack

@main
struct SmoothPackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smoothpack",
        abstract: "Turns source videos into Microsoft Smooth Streaming presentations for S3 + CloudFront.",
        discussion: """
            Typical use:
              smoothpack encode testmedia --out out     # every source in a folder
              smoothpack inspect --check out/clip/*/clip_*.ismv

            Each presentation lands in <out>/<stem>/<version>/; players open \
            https://HOST/<stem>/<version>/<stem>.ism/Manifest.
            """,
        version: SmoothPackVersion.string,
        subcommands: [EncodeCommand.self, PackageCommand.self, ProbeCommand.self, Inspect.self, ProfilesCommand.self, WatchCommand.self, ServeCommand.self, SplitCommand.self,
                      PublishCommand.self, CloudFrontCommand.self, QueueCommand.self, WorkerCommand.self])
}

/// The tool's version, part of every output version hash.
enum SmoothPackVersion {
    static let string = SmoothPackInfo.version
}

extension SmoothPackCommand {
    /// Parses and runs; usage errors exit with 2 (argument-parser's default is 64).
    static func main() async {
        // Large freed blocks go back to the system, so long runs (2-hour sources, workers, serve) keep the
        // resident set of short ones (ProcessMemory).
        ProcessMemory.mapLargeBlocks()
        // OpenSSL without its exit-time clean-up, before anything else could initialise it (CryptoLibrary).
        CryptoLibrary.prepare()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                Console.error(fullMessage(for: error))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Lines for standard error.
enum Console {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
