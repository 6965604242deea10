import ArgumentParser
import Foundation
import Publish
import SmoothManifest
import SmoothPack
import Synchronization
import MediaCore
import Planning

struct EncodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode sources into Smooth Streaming presentations ready for S3 + CloudFront.",
        discussion: """
            Each source becomes <out>/<stem>/<version>/ holding <stem>.ism, <stem>.ismc, one .ismv per video rung, one \
            .isma per audio track, <stem>.mpd (DASH) and <stem>.m3u8 plus one .m3u8 per media file (HLS) over byte \
            ranges of the same media files (--formats), upload-manifest.json, and report.html (plus quality.json with --quality; \
            both listed for upload only with --publish-report); <out>/clientaccesspolicy.xml and <out>/crossdomain.xml go \
            at the root. <version> is a hash of the source bytes, the profile, the manifest options and smoothpack's version: re-running \
            unchanged inputs is a no-op, changed inputs get a new folder (CloudFront cannot invalidate Smooth \
            Streaming objects).

            Folders are scanned by probing; files that are not media are listed as skipped.

            Captions: sidecars beside a source (clip.srt, clip.en.vtt, clip.fr.forced.srt, clip.en.sdh.ttml), files \
            named with --captions, and text subtitle streams inside the source become a <stem>_text_<lang>.ismt \
            text track (TTML), an HLS WebVTT rendition and a DASH WebVTT sidecar. A caption file that cannot be \
            read fails its source with file:line: reason, unless --captions-optional.

            Exit status: 0 all presentations made or up to date, 1 some source failed, 2 usage error.

            Example:
              smoothpack encode testmedia --out out
              smoothpack encode clip.mp4 --out out --profile fast --json
            """)

    @Argument(help: "Source files and folders.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder (the root of the distribution).")
    var out: String

    @OptionGroup var profileOptions: ProfileOptions

    @Option(help: "Sources encoded at the same time (default: one per two cores).")
    var jobs: Int?

    @Flag(help: "Scan folders recursively.")
    var recursive = false

    @Option(help: "Manifests to write: smooth,dash,hls (default all three; smooth is always written).")
    var formats = "smooth,dash,hls"

    @Flag(help: "Print one JSON document at the end instead of text.")
    var json = false

    @Option(help: "Client manifest version: 2.0 (widest client support) or 2.2 (adds r repeat coding).")
    var manifestVersion = "2.0"

    @Option(
        name: .customLong("allow-domain"),
        help: ArgumentHelp(
            "Domain allowed by the clientaccesspolicy.xml and crossdomain.xml policy files (repeatable; default *).",
            valueName: "domain"))
    var allowedDomains: [String] = []

    @Option(help: "Refuse sources larger than WIDTHxHEIGHT.")
    var maxResolution = "8192x4320"

    @Option(help: "Refuse sources longer than this many seconds.")
    var maxDuration: Double = 86400

    @Option(help: "Refuse source files larger than this many bytes; suffixes k, M, G.")
    var maxFileSize = "500G"

    @Option(help: "Refuse sources with more audio/video streams than this.")
    var maxStreams = 64

    @Option(
        name: .customLong("captions"),
        help: ArgumentHelp(
            "A caption file (SRT, WebVTT, TTML/DFXP) for the source, with its language after a colon: FILE[:lang] "
                + "(repeatable; needs exactly one source). Sidecars beside a source (clip.srt, clip.en.vtt, "
                + "clip.fr.forced.srt, clip.en.sdh.ttml) are taken without this option.",
            valueName: "file[:lang]"))
    var captionFiles: [String] = []

    @Option(help: "Language of caption files whose name and argument give none (e.g. en, pt-BR, fra; default und).")
    var captionLanguage: String?

    @Flag(help: "Leave out a caption file that cannot be read (with a note) instead of failing its source.")
    var captionsOptional = false

    @Flag(help: "Do not take caption sidecars from beside the sources.")
    var noSidecarCaptions = false

    @OptionGroup(title: "Publishing") var publishTarget: PublishTargetOptions

    @OptionGroup(title: "Protection") var protection: ProtectionOptions

    @OptionGroup(title: "Quality and per-title ladder") var qualityOptions: QualityOptions

    /// The `--max-*` options as library limits.
    func limits() throws -> SourceLimits {
        let size = maxResolution.lowercased().split(separator: "x").compactMap { Int($0) }
        guard size.count == 2, size.allSatisfy({ $0 > 0 }) else { throw ValidationError("--max-resolution is WIDTHxHEIGHT, e.g. 3840x2160") }
        let units: [Character: Int64] = ["k": 1_000, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000, "T": 1_000_000_000_000]
        var digits = maxFileSize
        var factor: Int64 = 1
        if let last = digits.last, let f = units[last] { factor = f; digits.removeLast() }
        guard let n = Int64(digits), n > 0 else { throw ValidationError("--max-file-size is a byte count like 2000000 or 20G") }
        guard maxDuration > 0, maxStreams > 0 else { throw ValidationError("--max-duration and --max-streams must be positive") }
        return SourceLimits(maxWidth: size[0], maxHeight: size[1], maxDuration: maxDuration,
                            maxFileSize: n.multipliedReportingOverflow(by: factor).overflow ? Int64.max : n * factor,
                            maxStreams: maxStreams)
    }

    func validate() throws {
        _ = try limits()
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !["2.0", "2.2"].contains(manifestVersion) { throw ValidationError("--manifest-version is 2.0 or 2.2") }
        _ = try EncodeCommand.parseFormats(formats)
        if inputs.isEmpty { throw ValidationError("give at least one source file or folder") }
        if let l = captionLanguage, CaptionLanguage(tag: l) == nil {
            throw ValidationError("--caption-language \(l) is not a language tag (e.g. en, pt-BR, fra)")
        }
    }

    func run() async throws {
        var options = PackagerOptions(profilesDirectory: profileOptions.profilesDir,
                                      manifestVersion: manifestVersion == "2.2" ? .v2_2 : .v2_0,
                                      allowedDomains: allowedDomains.isEmpty ? ["*"] : allowedDomains,
                                      limits: try limits(), formats: try Self.parseFormats(formats))
            .applying(qualityOptions)
        options.captions = CaptionOptions(files: captionFiles.map(CaptionInput.parse), sidecars: !noSidecarCaptions,
                                          defaultLanguage: captionLanguage, optional: captionsOptional)
        do {
            // SPEKE: one content ID for the run (--speke-content-id, else the first input's name).
            let name = URL(fileURLWithPath: inputs.first ?? "").deletingPathExtension().lastPathComponent
            options.protection = try await protection.settings(name: name)
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        let packager: Packager
        do {
            packager = try Packager(profile: profileOptions.selection, options: options)
        } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        let scan: (sources: [URL], skipped: [SourceScanner.Skipped])
        do { scan = try SourceScanner(recursive: recursive).scan(inputs) } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(2)
        }
        if !captionFiles.isEmpty && scan.sources.count != 1 {
            Console.error("smoothpack: --captions names the captions of one source, but \(scan.sources.count) sources were given")
            throw ExitCode(2)
        }
        let outURL = URL(fileURLWithPath: out)
        let publisher: Publisher?
        do { publisher = try await publishTarget.makePublisher(dryRun: false) } catch {
            Console.error("smoothpack: \(error)")
            throw ExitCode(1)
        }
        var published = true
        let display = ProgressDisplay(enabled: !json, live: !json && isatty(STDERR_FILENO) == 1)
        for s in scan.skipped { display.line("skipped \(s.path): \(s.reason)") }
        if scan.sources.isEmpty { display.line("no sources to encode") }

        let limit = jobs ?? max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
        var results: [Int: Result<Presentation, any Error>] = [:]
        await withTaskGroup(of: (Int, Result<Presentation, any Error>).self) { group in
            var next = 0
            func start(_ i: Int) {
                let source = scan.sources[i]
                group.addTask {
                    do {
                        let p = try await packager.encode(source: source, into: outURL) { display.event($0) }
                        return (i, .success(p))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            while next < min(limit, scan.sources.count) { start(next); next += 1 }
            for await (i, result) in group {
                results[i] = result
                display.finished(scan.sources[i], result)
                if let publisher, case .success(let p) = result {
                    published = await PublishRun(publisher: publisher, json: false).publish([p.directory], policyRoot: outURL) && published
                }
                if next < scan.sources.count { start(next); next += 1 }
            }
        }
        display.stop()
        await publisher?.client.shutdown()

        let ordered = scan.sources.indices.compactMap { i in results[i].map { (scan.sources[i], $0) } }
        if json {
            print(JSONReport.render(ordered, skipped: scan.skipped))
        } else {
            let made = ordered.filter { if case .success(let p) = $0.1 { return p.status == .created } else { return false } }.count
            let current = ordered.filter { if case .success(let p) = $0.1 { return p.status == .upToDate } else { return false } }.count
            let failed = ordered.count - made - current
            print("\(made) created, \(current) up to date, \(failed) failed, \(scan.skipped.count) skipped")
        }
        if !published || ordered.contains(where: { if case .failure = $0.1 { return true } else { return false } }) { throw ExitCode(1) }
    }
}

/// Live per-source progress on a terminal; plain lines otherwise. Thread-safe: events arrive from the encode
/// threads, and all drawing state lives behind one `Mutex`.
final class ProgressDisplay: Sendable {
    private struct State {
        var rows: [String: (name: String, text: String, started: Date)] = [:]
        var order: [String] = []
        var drawnLines = 0
        var lastDraw = Date.distantPast
    }

    private let enabled: Bool
    private let live: Bool
    private let state = Mutex(State())

    init(enabled: Bool, live: Bool) {
        self.enabled = enabled
        self.live = live
    }

    func event(_ event: PackagerEvent) {
        guard enabled else { return }
        state.withLock { s in
            switch event {
            case .phase(let source, let phase):
                let key = source.path
                if s.rows[key] == nil { s.order.append(key); s.rows[key] = (source.lastPathComponent, "", Date()) }
                s.rows[key]?.text = phase.rawValue
                if !live { write("\(source.lastPathComponent): \(phase.rawValue)\n") }
            case .progress(let source, let fraction, let fps, _):
                guard let row = s.rows[source.path] else { return }
                var text = "encoding"
                if let fraction {
                    text += String(format: " %3.0f%%", fraction * 100)
                    let elapsed = Date().timeIntervalSince(row.started)
                    if fraction > 0.02 {
                        let eta = Int(elapsed * (1 - fraction) / fraction)
                        text += String(format: "  ETA %d:%02d", eta / 60, eta % 60)
                    }
                }
                if fps > 0 { text += String(format: "  %.0f fps", fps) }
                s.rows[source.path]?.text = text
            case .note(let source, let note):
                if !live { write("\(source.lastPathComponent): \(note)\n") }
            }
            if live && Date().timeIntervalSince(s.lastDraw) > 0.1 { redraw(&s) }
        }
    }

    func finished(_ source: URL, _ result: Result<Presentation, any Error>) {
        guard enabled else { return }
        state.withLock { s in
            s.rows[source.path] = nil
            s.order.removeAll { $0 == source.path }
            clear(&s)
            switch result {
            case .success(let p):
                let what = p.status == .created ? "created" : "up to date"
                write("\(what) \(source.lastPathComponent) → \(p.playbackPath)\n")
            case .failure(let error):
                let text = error is CancellationError ? "\(source.path): cancelled" : "\(error)"
                FileHandle.standardError.write(Data("failed \(text)\n".utf8))
            }
            if live { redraw(&s) }
        }
    }

    func line(_ text: String) {
        guard enabled else { return }
        state.withLock { s in
            clear(&s)
            write(text + "\n")
            if live { redraw(&s) }
        }
    }

    func stop() {
        state.withLock { s in clear(&s) }
    }

    private func redraw(_ s: inout State) {
        clear(&s)
        var text = ""
        for key in s.order { if let r = s.rows[key] { text += "  \(r.name)  \(r.text)\n" } }
        FileHandle.standardError.write(Data(text.utf8))
        s.drawnLines = s.order.count
        s.lastDraw = Date()
    }

    private func clear(_ s: inout State) {
        guard live, s.drawnLines > 0 else { return }
        FileHandle.standardError.write(Data(String(repeating: "\u{1B}[1A\u{1B}[2K", count: s.drawnLines).utf8))
        s.drawnLines = 0
    }

    private func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
}

/// The `--json` document.
enum JSONReport {
    struct Source: Encodable {
        var source: String
        var status: String
        var name: String?
        var version: String?
        var prefix: String?
        var playbackPath: String?
        var duration: Double?
        var rungs: [RenditionOutput]?
        var captions: [CaptionOutput]?
        var captionsNotCarried: [CaptionNotCarried]?
        /// Key IDs of an encrypted presentation (never keys).
        var keyIDs: [String]?
        var notes: [String]?
        var quality: QualityReport?
        var perTitle: PerTitleDecision?
        var error: String?
    }
    struct Document: Encodable {
        var presentations: [Source]
        var skipped: [SourceScanner.Skipped]
    }

    static func render(_ results: [(URL, Result<Presentation, any Error>)], skipped: [SourceScanner.Skipped]) -> String {
        let sources = results.map { url, result -> Source in
            switch result {
            case .success(let p):
                return Source(source: url.path, status: p.status.rawValue, name: p.name, version: p.version, prefix: p.prefix,
                              playbackPath: p.playbackPath, duration: p.duration, rungs: p.renditions,
                              captions: p.captions, captionsNotCarried: p.captionsNotCarried,
                              keyIDs: p.keyIDs.isEmpty ? nil : p.keyIDs, notes: p.notes.isEmpty ? nil : p.notes, quality: p.quality, perTitle: p.perTitle, error: nil)
            case .failure(let e):
                return Source(source: url.path, status: "failed", error: "\(e)")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Document(presentations: sources, skipped: skipped))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension EncodeCommand {
    /// `--formats` as a set, or a ValidationError naming the bad word.
    static func parseFormats(_ text: String) throws -> Set<StreamingFormat> {
        switch StreamingFormat.parseList(text) {
        case .success(let f): return f
        case .failure(let e): throw ValidationError("--formats: \(e)")
        }
    }
}
