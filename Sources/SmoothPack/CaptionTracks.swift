internal import Captions
internal import Foundation
internal import ISOBMFF
internal import MediaCore
internal import SmoothManifest

/// One caption track of a presentation, for `--json` and the library caller.
public struct CaptionOutput: Sendable, Equatable, Codable {
    /// The caption file it came from, or `<source>#<stream index>` for a stream inside the source.
    public var input: String
    /// `.ismt` file name.
    public var file: String
    /// Stream name in `Fragments(<name>=…)`, the HLS/DASH rendition name.
    public var trackName: String
    /// BCP 47 tag.
    public var language: String
    public var role: CaptionRole
    public var cues: Int
    /// Repairs made while reading (`file:line: what`).
    public var warnings: [String]
}

/// A subtitle stream of the source that is not carried (bitmap subtitles), with the reason.
public struct CaptionNotCarried: Sendable, Equatable, Codable {
    public var input: String
    public var codec: String
    public var reason: String
}

/// A parsed caption track waiting for the video grid.
struct PendingCaption {
    var input: String
    var language: CaptionLanguage
    var role: CaptionRole
    var track: CaptionTrack
}

/// The text tracks of an encode: caption files read and checked before any encoding (a bad file fails the
/// source early, or is left out with `--captions-optional`), then written as `.ismt` files on the video
/// fragment grid once the video is written.
enum CaptionTracks {
    /// Reads every caption input; refusals fail the source with `file:line: reason` unless optional.
    static func read(_ found: [CaptionDiscovery.Found], source: String, optional: Bool,
                     note: (String) -> Void) throws -> [PendingCaption] {
        var out: [PendingCaption] = []
        let limits = CaptionLimits()
        for f in found {
            let name = f.url.path
            do {
                let size = (try? FileManager.default.attributesOfItem(atPath: name)[.size] as? NSNumber)?.intValue ?? 0
                guard size <= limits.maxBytes else {
                    throw CaptionError(file: name, line: 0, "file is \(size) bytes, over the \(limits.maxBytes)-byte limit")
                }
                let bytes: [UInt8]
                do { bytes = [UInt8](try Data(contentsOf: f.url)) } catch {
                    throw CaptionError(file: name, line: 0, "cannot read: \(error.localizedDescription)")
                }
                let track = try CaptionFile.parse(bytes, format: f.format, file: f.url.lastPathComponent, limits: limits)
                out.append(PendingCaption(input: name, language: f.language, role: f.role, track: track))
            } catch let error as CaptionError {
                if optional {
                    note("caption left out (--captions-optional): \(error)")
                    continue
                }
                throw PipelineError(source: source, stage: .read, message: "caption \(error)")
            }
        }
        return out
    }

    /// Writes each caption as `<stem>_text_<lang>[_role].ismt` into `work`, fragments on `grid` (the video
    /// fragments), cues clamped to the grid's end; returns the manifest tracks and the report.
    struct Written {
        var tracks: [TextManifestTrack] = []
        var outputs: [CaptionOutput] = []
        var cues: [[Cue]] = []
        var languages: [CaptionLanguage] = []
        var roles: [CaptionRole] = []
    }

    static func write(_ captions: [PendingCaption], grid: [FragmentInfo], stem: String, work: URL,
                      note: (String) -> Void) throws -> Written {
        var tracks: [TextManifestTrack] = []
        var outputs: [CaptionOutput] = []
        var cueLists: [[Cue]] = []
        var names = Set<String>()
        guard let last = grid.last else { return Written() }
        let end = last.time + last.duration
        for (k, c) in captions.enumerated() {
            var base = "textstream_" + c.language.bcp47
            if c.role != .subtitles { base += "_" + c.role.rawValue }
            var name = base
            var n = 2
            while !names.insert(name).inserted { name = "\(base)_\(n)"; n += 1 }
            let file = "\(stem)_\(name.replacingOccurrences(of: "textstream_", with: "text_")).ismt"
            let fileLabel = URL(fileURLWithPath: c.input).lastPathComponent
            let fitted = c.track.clamped(to: end, file: fileLabel)
            for w in fitted.warnings { note("\(w)") }
            let sink = try FileSink(path: work.appendingPathComponent(file).path)
            let writer = try TextFragmenter(sink: sink, trackID: UInt32(3 + k), language: c.language.iso639_2)
            let ttml = TTMLWriter(language: c.language.bcp47)
            for f in grid {
                try writer.append(document: ttml.document(cues: fitted.cues, fragmentStart: f.time, duration: f.duration),
                                  time: f.time, duration: f.duration)
            }
            let index = try writer.finish()
            let seconds = Double(index.duration) / Double(Clock.timescale)
            let measured = seconds > 0 ? Int((Double(index.mediaBytes) * 8 / seconds).rounded(.up)) : 0
            let bitrate = max(1000, (measured + 999) / 1000 * 1000)
            tracks.append(TextManifestTrack(
                bitrate: bitrate, source: file, trackID: Int(index.trackID), trackName: name,
                language: c.language.iso639_2, subtype: c.role == .sdh ? .captions : .subtitles,
                fragments: index.fragments.map { FragmentTiming(time: $0.time, duration: $0.duration) }))
            outputs.append(CaptionOutput(input: c.input, file: file, trackName: name, language: c.language.bcp47,
                                         role: c.role, cues: fitted.cues.count, warnings: fitted.warnings.map(\.description)))
            cueLists.append(fitted.cues)
        }
        return Written(tracks: tracks, outputs: outputs, cues: cueLists, languages: captions.map(\.language),
                       roles: captions.map(\.role))
    }
}

extension CaptionTracks {
    /// The WebVTT files HLS and DASH read: `<ismt stem>.hls.vtt` (one WebVTT document per segment, on the
    /// same grid as the `.ismt` fragments, addressed by byte ranges) and `<ismt stem>.vtt` (every cue, the DASH
    /// sidecar). Nothing when neither format is written.
    static func writeWebVTT(_ text: Written, stem: String, formats: Set<StreamingFormat>, to work: URL) throws
        -> [TextRendition]
    {
        guard formats.contains(.hls) || formats.contains(.dash) else { return [] }
        var out: [TextRendition] = []
        var firstForced = true
        for (k, t) in text.tracks.enumerated() {
            let base = String(t.source.dropLast(".ismt".count))
            let cues = text.cues[k]
            var bytes: [UInt8] = []
            var segments: [(timing: FragmentTiming, bytes: Range<Int64>)] = []
            for f in t.fragments {
                let segment = WebVTTWriter.segment(cues: cues, start: f.time, duration: f.duration)
                let start = Int64(bytes.count)
                bytes += segment
                segments.append((f, start..<Int64(bytes.count)))
            }
            let hlsFile = base + ".hls.vtt", dashFile = base + ".vtt"
            if formats.contains(.hls) { try Data(bytes).write(to: work.appendingPathComponent(hlsFile)) }
            if formats.contains(.dash) { try Data(WebVTTWriter.file(cues: cues)).write(to: work.appendingPathComponent(dashFile)) }
            let role = text.roles[k]
            let isDefault = role == .forced && firstForced
            if role == .forced { firstForced = false }
            out.append(TextRendition(name: t.trackName, language: text.languages[k].bcp47, forced: role == .forced,
                                     sdh: role == .sdh, isDefault: isDefault, hlsFile: hlsFile, hlsSegments: segments,
                                     hlsPlaylist: base + ".m3u8", dashFile: dashFile))
        }
        return out
    }
}
