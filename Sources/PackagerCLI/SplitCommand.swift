import ArgumentParser
import Foundation
import Origin

/// `smoothpack split`: the pre-split static layout for hosts without Smooth Streaming support.
struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract:
            "Write every Manifest and fragment answer as a plain file, for hosts without Smooth Streaming support.",
        discussion: """
            For CDNs and web servers without Smooth Streaming support (nginx, S3 website hosting): every answer of \
            `smoothpack serve` becomes a plain file with the same bytes, <stem>.ism/Manifest and \
            <stem>.ism/QualityLevels(<bitrate>)/Fragments(<track>=<time>), so players use the same \
            .../<stem>.ism/Manifest URL on the tree.

            The tree goes to a separate folder mirroring the input: a <stem>.ism/ folder cannot sit beside the \
            <stem>.ism file, and a published version folder must hold exactly what its upload-manifest.json lists. \
            Default: <input>-split beside each input; or --into. The input root's clientaccesspolicy.xml and \
            crossdomain.xml are copied. Serve Manifest as text/xml and Fragments(...) as video/mp4.

            Example:
              smoothpack split out        # out-split/<stem>/<version>/<stem>.ism/...
              smoothpack split out --into /srv/www
            """)

    @Argument(help: "Output folders of `encode` or single presentation folders.")
    var inputs: [String]

    @Option(help: "Folder to write into (default: <input>-split beside each input).")
    var into: String?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one folder") }
    }

    func run() throws {
        var failed = false
        for input in inputs {
            let trimmed = input.count > 1 && input.hasSuffix("/") ? String(input.dropLast()) : input
            let target = into ?? trimmed + "-split"
            do {
                let origin = try SmoothOrigin(configuration: OriginConfiguration(root: input))
                let summaries = try StaticTreeWriter(origin: origin).writeAll(into: target)
                if summaries.isEmpty {
                    Console.error("smoothpack split: no .ism under \(input)")
                    failed = true
                }
                for s in summaries {
                    print("wrote \(s.folder) (\(s.files) files, \(s.bytes) bytes)")
                }
            } catch {
                Console.error("smoothpack split: \(input): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
