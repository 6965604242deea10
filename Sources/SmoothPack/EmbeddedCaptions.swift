internal import Captions
internal import FFmpeg
internal import Foundation
internal import MediaCore

/// Text subtitle streams inside the source (mov_text, subrip, webvtt, ass/ssa, and MP4 `stpp` TTML tracks),
/// read packet by packet through libavformat, placed on the encode's timeline (the earliest audio/video start
/// is 0, as in Transcode), with the stream's language and forced / hearing-impaired dispositions as roles.
/// Bitmap subtitles, and text streams from which no cue could be read, are listed as not carried.
enum EmbeddedCaptions {
    static func read(path: String, info: SourceInfo) throws -> (found: [PendingCaption], notCarried: [CaptionNotCarried]) {
        let subtitles = info.otherStreams.filter { $0.type == "subtitle" }
        guard !subtitles.isEmpty else { return ([], []) }
        var notCarried: [CaptionNotCarried] = []
        var wanted: [Int: StreamParameters] = [:]
        let file = try InputFile(path: path)
        let parameters = file.streamParameters
        for s in subtitles {
            let input = "\(path)#\(s.index)"
            if EmbeddedCueText.textCodecs.contains(s.codec), s.index < parameters.count {
                wanted[s.index] = parameters[s.index]
            } else if EmbeddedCueText.bitmapCodecs.contains(s.codec) {
                notCarried.append(CaptionNotCarried(input: input, codec: s.codec,
                                                    reason: "bitmap subtitles cannot be carried as text (convert them with OCR to SRT first)"))
            } else {
                notCarried.append(CaptionNotCarried(input: input, codec: s.codec, reason: "subtitle codec not read"))
            }
        }
        guard !wanted.isEmpty else { return ([], notCarried) }
        // The timeline origin: the earliest start of the audio/video streams (seconds).
        let origin = parameters.filter { $0.kind != .other }
            .compactMap { p in file.startTime(ofStream: p.index).map { Double($0) * p.timeBase.doubleValue } }.min() ?? 0
        file.discardAll(except: Set(wanted.keys))
        var cues: [Int: [Cue]] = [:]
        var counts: [Int: Int] = [:]
        var unread: [Int: (count: Int, first: String)] = [:]  // TTML samples that did not parse
        let packet = try Packet()
        let cap = CaptionLimits().maxCues
        while try file.read(into: packet) {
            let index = packet.streamIndex
            guard let p = wanted[index], let pts = packet.pts else { continue }
            if p.codec == "ttml" {
                guard counts[index, default: 0] <= cap else { continue }
                let name = "\(URL(fileURLWithPath: path).lastPathComponent)#\(index) (sample at \(Double(pts) * p.timeBase.doubleValue) s)"
                do {
                    let read = try Self.ttmlSample(packet, p, origin: origin, file: name)
                    counts[index, default: 0] += read.count
                    cues[index, default: []] += read
                } catch {
                    unread[index] = ((unread[index]?.count ?? 0) + 1, unread[index]?.first ?? "\(error)")
                }
                continue
            }
            guard packet.duration > 0 else { continue }
            counts[index, default: 0] += 1
            guard counts[index, default: 0] <= cap else { continue }
            // Doubles, not Clock.time: a hostile pts must give a skipped packet, never a trap.
            let tb = p.timeBase.doubleValue
            let from = (Double(pts) * tb - origin) * 1e7, to = (Double(pts) + Double(packet.duration)) * tb * 1e7 - origin * 1e7
            guard from.isFinite, to.isFinite, from >= 0, to <= 3.6e13, to > from else { continue }
            let (start, end) = (Int64(from.rounded()), Int64(to.rounded()))
            guard end > start else { continue }
            let payload = packet.withBytes { [UInt8]($0) }
            guard let lines = EmbeddedCueText.lines(codec: p.codec, payload: payload), !lines.isEmpty else { continue }
            cues[index, default: []].append(Cue(start: start, end: end, lines: lines))
        }
        var found: [PendingCaption] = []
        for index in wanted.keys.sorted() {
            let p = wanted[index]!  // keys come from `wanted`
            let name = "\(URL(fileURLWithPath: path).lastPathComponent)#\(index)"
            var track: CaptionTrack
            do { track = try EmbeddedCueText.track(cues[index] ?? [], file: name) } catch {
                notCarried.append(CaptionNotCarried(input: "\(path)#\(index)", codec: p.codec, reason: "\(error)"))
                continue
            }
            if track.cues.isEmpty {
                notCarried.append(CaptionNotCarried(input: "\(path)#\(index)", codec: p.codec,
                                                    reason: unread[index].map { "no cues: \($0.first)" } ?? "no cues"))
                continue
            }
            if let u = unread[index] {
                track.warnings.append(CaptionWarning(CaptionLocation(file: name, line: 0),
                                                     "\(u.count) TTML sample(s) left out: \(u.first)"))
            }
            let language = p.language.flatMap { CaptionLanguage(tag: $0) } ?? .undetermined
            let role: CaptionRole = p.isForced ? .forced : p.isHearingImpaired ? .sdh : .subtitles
            found.append(PendingCaption(input: "\(path)#\(index)", language: language, role: role, track: track))
        }
        return (found, notCarried)
    }

    /// The cues of one TTML sample on the encode's timeline: the document's cues on the track timeline (or
    /// relative to the sample, as Smooth Streaming writes them; see `EmbeddedCueText.ttmlSample`), cut to the
    /// sample, shifted by `origin` (seconds), cues before the origin cut at 0.
    static func ttmlSample(_ packet: Packet, _ p: StreamParameters, origin: Double, file: String) throws -> [Cue] {
        guard let pts = packet.pts else { return [] }
        let tb = p.timeBase.doubleValue
        // Doubles first: a hostile pts gives an error, never a trap.
        let start = Double(pts) * tb * 1e7, end = (Double(pts) + Double(packet.duration)) * tb * 1e7
        guard start.isFinite, end.isFinite, start >= 0, end <= 3.6e13 else {
            throw CaptionError(file: file, line: 0, "sample time out of range")
        }
        let payload = packet.withBytes { [UInt8]($0) }
        let sample = try EmbeddedCueText.ttmlSample(payload, sampleStart: Int64(start.rounded()),
                                                    sampleEnd: packet.duration > 0 ? Int64(end.rounded()) : nil, file: file)
        let shifted = (origin * 1e7).rounded()
        guard shifted.isFinite, abs(shifted) <= 3.6e13 else { throw CaptionError(file: file, line: 0, "stream start out of range") }
        let shift = Int64(shifted)
        return sample.cues.compactMap { c in
            let (s, e) = (max(0, c.start - shift), c.end - shift)
            return e > s ? Cue(start: s, end: e, lines: c.lines) : nil
        }
    }
}
