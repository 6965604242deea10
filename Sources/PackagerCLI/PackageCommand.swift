import ArgumentParser
import Foundation
import SmoothManifest
import SmoothPack

struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Package already encoded H.264/AAC rung files into a presentation, without re-encoding.",
        usage: "smoothpack package <files> ... --out <out> [<options>]",
        discussion: """
            Each file holding H.264 video becomes one video quality level; the audio comes from the first file holding \
            AAC-LC. The rungs' IDR frames must be aligned: fragments start at the same times in every rung, or the \
            command refuses and names the file and time.

            Example:
              smoothpack package clip_1080.mp4 clip_720.mp4 clip_360.mp4 \\
                --out out --name clip
            """)

    @Argument(help: "Encoded rung files (MP4, MOV, MKV, TS…).")
    var files: [String]

    @Option(name: .shortAndLong, help: "Output folder (the root of the distribution).")
    var out: String

    @Option(help: "Presentation name (<name>.ism); default: the first file's name.")
    var name: String?

    @Option(help: "Target fragment duration in seconds (fragments start at the first IDR at or after 95% of it).")
    var fragmentDuration: Double = 2

    @Option(help: "Client manifest version: 2.0 or 2.2.")
    var manifestVersion = "2.0"

    @Option(help: "Manifests to write: smooth,dash,hls (default all three; smooth is always written).")
    var formats = "smooth,dash,hls"

    @Flag(help: "Print the result as JSON.")
    var json = false

    @OptionGroup(title: "Protection") var protection: ProtectionOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one encoded file") }
        if !(0.5...20).contains(fragmentDuration) { throw ValidationError("--fragment-duration must be between 0.5 and 20") }
        if !["2.0", "2.2"].contains(manifestVersion) { throw ValidationError("--manifest-version is 2.0 or 2.2") }
        _ = try EncodeCommand.parseFormats(formats)
        for f in files where !FileManager.default.fileExists(atPath: f) { throw ValidationError("\(f): no such file") }
    }

    func run() async throws {
        var options = PackagerOptions(manifestVersion: manifestVersion == "2.2" ? .v2_2 : .v2_0,
                                      formats: try EncodeCommand.parseFormats(formats))
        do {
            let stem = name ?? URL(fileURLWithPath: files[0]).deletingPathExtension().lastPathComponent
            options.protection = try await protection.settings(name: stem)
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        let packager = try Packager(profile: .named("default"), options: options)
        let source = URL(fileURLWithPath: files[0])
        do {
            let p = try await packager.package(files: files.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out),
                                               name: name, fragmentDuration: fragmentDuration)
            if json {
                print(JSONReport.render([(source, .success(p))], skipped: []))
            } else {
                print("\(p.status == .created ? "created" : "up to date") \(p.name) → \(p.playbackPath)")
                for r in p.renditions {
                    print("  \(r.file)  \(r.bitrate) b/s  \(r.fragments) fragments")
                }
                if !p.keyIDs.isEmpty { print("  encrypted (cenc), key IDs \(p.keyIDs.joined(separator: ", "))") }
                for note in p.notes { print("  note: \(note)") }
            }
        } catch {
            if json { print(JSONReport.render([(source, .failure(error))], skipped: [])) }
            Console.error("failed \(error)")
            throw ExitCode(1)
        }
    }
}
