import ArgumentParser
import FFmpeg
import Foundation
import MediaCore
import Planning
import SmoothPack

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Describe source files and the ladder a profile would make of them.",
        usage: "smoothpack probe <files> ... [<options>]",
        discussion: "Prints streams, sizes, aspect, frame rate, rotation and audio layout, then the planned rungs.")

    @Argument(help: "Source files to probe.")
    var files: [String]

    @OptionGroup var profileOptions: ProfileOptions

    @Flag(help: "Print JSON (SourceInfo and LadderPlan) instead of text.")
    var json = false

    @Option(help: "fixed or per-title: per-title runs the complexity analysis (short CRF encodes) and shows its decision (default: the profile's).")
    var ladder: String?

    func validate() throws {
        if let ladder, LadderMode(rawValue: ladder) == nil { throw ValidationError("--ladder is fixed or per-title") }
    }

    func run() throws {
        FFmpegLog.quiet()
        let dir = try ProfilesDirectory.locate(explicit: profileOptions.profilesDir)?.path
        var profile = try Profile.load(profileOptions.profile, profilesDirectory: dir)
        if let ladder, let mode = LadderMode(rawValue: ladder) { profile.ladder = mode }
        var failed = false
        for file in files {
            do {
                let source = try Probe.probe(path: file)
                let (plan, decision) = try PerTitleAnalysis.plan(sourcePath: file, info: source, profile: profile)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    struct Output: Encodable { var source: SourceInfo; var plan: LadderPlan; var perTitle: PerTitleDecision? }
                    print(String(decoding: try encoder.encode(Output(source: source, plan: plan, perTitle: decision)), as: UTF8.self))
                } else {
                    print(describe(source, plan))
                    if let d = decision { print(describe(d)) }
                }
            } catch {
                failed = true
                Console.error("smoothpack: \(error)")
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func describe(_ d: PerTitleDecision) -> String {
        let m = d.measurement
        var lines = ["  per-title: CRF \(d.crf) target, analysis \(String(format: "%.1f", m.sampledSeconds)) s in \(m.segments) segment(s), "
            + "\(String(format: "%.2f", m.elapsed)) s; bits ∝ area^\(String(format: "%.2f", d.exponent)); "
            + "planned \(Int((d.plannedShareOfFixed * 100).rounded())) % of the fixed ladder"]
        for p in m.points { lines.append("    probe \(p.width)x\(p.height): \(Int(p.bitsPerSecond / 1000)) kb/s") }
        for r in d.rungs {
            lines.append("    \(r.name): estimate \(r.estimate / 1000) kb/s, ceiling \(r.ceiling / 1000) → \(r.mode.rawValue)"
                + (r.mode == .merged ? " into \(r.mergedInto ?? "?")" : " \(r.bitrate / 1000) kb/s (max \(r.maxrate / 1000))")
                + (r.crf.map { " at CRF \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    private func describe(_ s: SourceInfo, _ plan: LadderPlan) -> String {
        var lines = ["\(s.path): \(s.container), \(s.duration.map { String(format: "%.3f s", $0) } ?? "unknown duration"), \(s.fileSize) bytes"]
        for v in s.videoStreams {
            lines.append("  video #\(v.index) \(v.codec) \(v.width)x\(v.height) SAR \(v.sampleAspectRatio) DAR \(v.displayAspect) "
                + "\(v.frameRate) fps\(v.isVariableFrameRate ? " (variable)" : "") \(v.pixelFormat) \(v.bitDepth)-bit "
                + "\(v.fieldOrder.rawValue)\(v.rotation != 0 ? " rotated \(v.rotation)°" : "")")
        }
        for a in s.audioStreams {
            lines.append("  audio #\(a.index) \(a.codec) \(a.sampleRate) Hz \(a.channelLayout)\(a.language.map { " [\($0)]" } ?? "")")
        }
        if let video = plan.video {
            lines.append("  plan: \(video.frameRate) fps, GOP \(video.framesPerFragment) frames = \(video.fragmentDuration.doubleValue) s"
                + (video.deinterlace ? ", deinterlace" : "") + (video.rotation != 0 ? ", rotate \(video.rotation)°" : ""))
            for r in video.rungs {
                lines.append("    \(r.name): \(r.width)x\(r.height) \(r.encoding.bitrate / 1000) kb/s (max \(r.encoding.maxrate / 1000), buf \(r.encoding.bufsize / 1000)) \(r.encoding.profile.x264Name)")
            }
        }
        for a in plan.audio {
            lines.append("    \(a.trackName): AAC-LC \(a.sampleRate) Hz \(a.channels) ch \(a.bitrate / 1000) kb/s")
        }
        return lines.joined(separator: "\n")
    }
}

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "List the available encoding profiles, or print one.")

    @Argument(help: "A profile to print in full.")
    var name: String?

    @Option(help: "Directory of profile files.")
    var profilesDir: String?

    func run() throws {
        let dir = try ProfilesDirectory.locate(explicit: profilesDir)?.path
        if let name {
            let profile = try Profile.load(name, profilesDirectory: dir)
            print(profile.canonicalDescription)
            return
        }
        var names = Set(BuiltinProfiles.names)
        if let dir { names.formUnion(ProfilesDirectory.profileNames(in: dir)) }
        for n in names.sorted() {
            let p = try? Profile.load(n, profilesDirectory: dir)
            print("\(n)\t\(p?.summary ?? "")")
        }
    }
}

