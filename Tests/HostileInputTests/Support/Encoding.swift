import Foundation
import Testing
import TestSupport

/// The generated corpus: `scripts/make-corpus` into a temporary folder, once per test process
/// (or the folder in `HOSTILE_CORPUS` when set, for quick local re-runs).
enum Corpus {
    static let directory: Result<URL, ExternalToolError> = {
        if let given = ProcessInfo.processInfo.environment["HOSTILE_CORPUS"], !given.isEmpty {
            let url = URL(fileURLWithPath: given)
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("control-faststart.mp4").path) {
                return .success(url)
            }
        }
        do {
            let dir = try TestPaths.temporaryDirectory("corpus")
            let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/make-corpus").path
            let result = try Bounded.run([script, dir.path], timeout: 300)
            guard result.status == 0, !result.timedOut else {
                return .failure(ExternalToolError(message: "scripts/make-corpus failed: \(result.summary)"))
            }
            return .success(dir)
        } catch {
            return .failure(ExternalToolError(message: "scripts/make-corpus did not start: \(error)"))
        }
    }()

    /// Cases the local ffmpeg could not make (`UNAVAILABLE`), by file name.
    static var unavailable: Set<String> {
        guard let dir = try? directory.get(),
              let text = try? String(contentsOf: dir.appendingPathComponent("UNAVAILABLE"), encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) })
    }
}

/// Runs `smoothpack encode` and checks the promises every run keeps.
enum Encode {
    /// Per-run bound: tiny clips encode in well under a second; a hang is killed here.
    static let timeout: TimeInterval = 60

    static func run(_ inputs: [String], out: URL, extra: [String] = [], timeout: TimeInterval = Encode.timeout,
                    whileRunning: (@Sendable () -> Void)? = nil) throws -> BoundedResult {
        let binary = try TestPaths.smoothpackBinary
        return try Bounded.run([binary, "encode"] + inputs + ["--out", out.path, "--profile", "fast", "--jobs", "1"] + extra,
                               timeout: timeout, whileRunning: whileRunning)
    }

    /// Never a crash, never past the bound, exit 0 or 1, no work folder left behind.
    static func expectSane(_ r: BoundedResult, out: URL, _ label: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!r.timedOut, "\(label): still running after \(Int(timeout)) s\n\(r.summary)", sourceLocation: sourceLocation)
        #expect(!r.signaled, "\(label): killed by a signal (crash)\n\(r.summary)", sourceLocation: sourceLocation)
        #expect(r.status == 0 || r.status == 1, "\(label): exit \(r.status)\n\(r.summary)", sourceLocation: sourceLocation)
        let leftovers = entries(out).filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty, "\(label): work folders left: \(leftovers)", sourceLocation: sourceLocation)
    }

    /// `<out>/<stem>/` exists?
    static func hasStemFolder(_ out: URL, stem: String) -> Bool {
        FileManager.default.fileExists(atPath: out.appendingPathComponent(stem).path)
    }

    static func entries(_ dir: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    }

    /// The stem smoothpack uses for a file (its name without the last extension).
    static func stem(_ file: String) -> String { (file as NSString).deletingPathExtension }

    /// Checks a refusal of `source`: one line naming it and holding `fragments`; nothing of it in `out`.
    static func expectRefused(_ r: BoundedResult, source: String, fragments: [String], out: URL, label: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "\(label): expected exit 1\n\(r.summary)", sourceLocation: sourceLocation)
        let lines = r.errorLines
        #expect(lines.count == 1, "\(label): expected one error line\n\(r.summary)", sourceLocation: sourceLocation)
        if let line = lines.first {
            #expect(line.hasPrefix("failed \(source): "), "\(label): line does not name the source: \(line)",
                    sourceLocation: sourceLocation)
            for f in fragments {
                #expect(line.contains(f), "\(label): \"\(f)\" missing from: \(line)", sourceLocation: sourceLocation)
            }
        }
        let stem = stem((source as NSString).lastPathComponent)
        #expect(!hasStemFolder(out, stem: stem), "\(label): \(stem)/ left in \(out.path): \(entries(out))",
                sourceLocation: sourceLocation)
    }

    /// Checks the one presentation of `stem` in `out`: files present, checker OK, ffmpeg decodes, tracks together.
    /// `cutSkew` widens "tracks together" for a source read while it was cut at an arbitrary byte: its own
    /// tracks then end up to that far apart (see `interleaveSkew`).
    static func expectPresentation(out: URL, stem: String, video: Bool, audio: Bool, sourceDuration: Double?,
                                   cutSkew: Double = 0,
                                   label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let stemDir = out.appendingPathComponent(stem)
        let versions = entries(stemDir).filter { !$0.hasPrefix(".") }
        try #require(versions.count == 1, "\(label): expected one version under \(stem)/, found \(versions)",
                     sourceLocation: sourceLocation)
        let dir = stemDir.appendingPathComponent(versions[0])
        let files = entries(dir).sorted()
        for needed in ["\(stem).ism", "\(stem).ismc", "upload-manifest.json"] {
            #expect(files.contains(needed), "\(label): \(needed) missing: \(files)", sourceLocation: sourceLocation)
        }
        let videos = files.filter { $0.hasSuffix(".ismv") }, audios = files.filter { $0.hasSuffix(".isma") }
        #expect(!videos.isEmpty == video, "\(label): video files \(videos), expected video: \(video)",
                sourceLocation: sourceLocation)
        #expect(!audios.isEmpty == audio, "\(label): audio files \(audios), expected audio: \(audio)",
                sourceLocation: sourceLocation)
        var durations: [String: Double] = [:]
        let binary = try TestPaths.smoothpackBinary
        for name in videos + audios {
            let path = dir.appendingPathComponent(name).path
            let check = try Bounded.run([binary, "inspect", "--check", path], timeout: 60)
            #expect(check.status == 0 && check.stdout.hasPrefix("OK"), "\(label): inspect --check \(name)\n\(check.summary)",
                    sourceLocation: sourceLocation)
            let decode = try Bounded.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"], timeout: 60)
            #expect(decode.status == 0 && decode.errorLines.isEmpty, "\(label): ffmpeg cannot decode \(name)\n\(decode.summary)",
                    sourceLocation: sourceLocation)
            durations[name] = try mediaDuration(path)
        }
        if let longest = durations.values.max(), let shortest = durations.values.min() {
            #expect(longest - shortest <= 0.2 + cutSkew, "\(label): tracks end apart (audio/video out of step): \(durations)",
                    sourceLocation: sourceLocation)
            if let sourceDuration {
                #expect(longest >= sourceDuration - 0.2,
                        "\(label): presentation \(longest) s is shorter than the source's \(sourceDuration) s: \(durations)",
                        sourceLocation: sourceLocation)
            }
        }
    }

    /// The most that `path`'s audio and video ends differ in any prefix of the file, in seconds: how far apart
    /// the tracks of a copy cut at an arbitrary byte (a file still being written) can end. ffprobe lists packets
    /// in file order; packets without a position share the PES of the packet before them.
    static func interleaveSkew(_ path: String) throws -> Double {
        let json = try External.ffprobeJSON(["-show_entries", "packet=stream_index,pts_time,duration_time", path])
        var ends: [Int: Double] = [:], worst = 0.0
        for packet in json["packets"] as? [[String: Any]] ?? [] {
            guard let stream = packet["stream_index"] as? Int,
                  let pts = (packet["pts_time"] as? String).flatMap(Double.init) else { continue }
            let end = pts + ((packet["duration_time"] as? String).flatMap(Double.init) ?? 0)
            ends[stream] = max(ends[stream] ?? end, end)
            if ends.count >= 2, let high = ends.values.max(), let low = ends.values.min() { worst = max(worst, high - low) }
        }
        return worst
    }

    /// ffprobe's duration of a file (format duration, else the longest stream's).
    static func mediaDuration(_ path: String) throws -> Double? {
        let json = try External.ffprobeJSON(["-show_entries", "format=duration:stream=duration", path])
        if let f = json["format"] as? [String: Any], let d = (f["duration"] as? String).flatMap(Double.init) { return d }
        let streams = json["streams"] as? [[String: Any]] ?? []
        return streams.compactMap { ($0["duration"] as? String).flatMap(Double.init) }.max()
    }
}
