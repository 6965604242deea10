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
        var pendingTTML: [Int: TTMLSample] = [:]
        let packet = try Packet()
        let cap = CaptionLimits().maxCues
        func readTTML(_ sample: TTMLSample, _ p: StreamParameters, end next: Int64?) {
            guard counts[p.index, default: 0] <= cap else { return }
            let name = "\(URL(fileURLWithPath: path).lastPathComponent)#\(p.index) (sample at \(Double(sample.pts) * p.timeBase.doubleValue) s)"
            let end = sample.duration > 0 ? sample.pts.addingReportingOverflow(sample.duration).partialValue : next
            do {
                let read = try Self.ttmlSample(sample, end: end.flatMap { $0 > sample.pts ? $0 : nil }, p, origin: origin, file: name)
                counts[p.index, default: 0] += read.count
                cues[p.index, default: []] += read
            } catch {
                unread[p.index] = ((unread[p.index]?.count ?? 0) + 1, unread[p.index]?.first ?? "\(error)")
            }
        }
        while try file.read(into: packet) {
            let index = packet.streamIndex
            guard let p = wanted[index], let pts = packet.pts else { continue }
            if p.codec == "ttml" {
                // A sample's end is its duration, or else (libavformat gives none for fragmented files, such as
                // Smooth .ismt) the next sample's start: each waits for the next.
                if let last = pendingTTML[index] { readTTML(last, p, end: pts) }
                pendingTTML[index] = TTMLSample(pts: pts, duration: packet.duration, payload: packet.withBytes { [UInt8]($0) })
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
        // The last sample of each TTML stream ends with the stream, when its duration is known.
        for (index, last) in pendingTTML.sorted(by: { $0.key < $1.key }) {
            guard let p = wanted[index] else { continue }
            readTTML(last, p, end: p.duration > 0 ? p.duration : nil)
        }
        var found: [PendingCaption] = []
        for index in wanted.keys.sorted() {
            let p = wanted[index]!  // keys come from `wanted`
            let name = "\(URL(fileURLWithPath: path).lastPathComponent)#\(index)"
            var track: CaptionTrack
            let read = p.codec == "ttml" ? EmbeddedCueText.joiningCut(cues[index] ?? []) : cues[index] ?? []
            do { track = try EmbeddedCueText.track(read, file: name) } catch {
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

    /// One sample of a TTML stream: a whole document, its time and duration (0 when libavformat gives none).
    struct TTMLSample {
        var pts: Int64
        var duration: Int64
        var payload: [UInt8]
    }

    /// The cues of one TTML sample on the encode's timeline: the document's cues on the track timeline (or
    /// relative to the sample, as Smooth Streaming writes them; see `EmbeddedCueText.ttmlSample`), cut to the
    /// sample `[pts, end)` (time-base units; no end: not cut), shifted by `origin` (seconds), cues before the
    /// origin cut at 0.
    static func ttmlSample(_ sample: TTMLSample, end: Int64?, _ p: StreamParameters, origin: Double, file: String) throws -> [Cue] {
        let tb = p.timeBase.doubleValue
        // Doubles first: a hostile pts gives an error, never a trap.
        let start = Double(sample.pts) * tb * 1e7, stop = end.map { Double($0) * tb * 1e7 }
        guard start.isFinite, start >= 0, start <= 3.6e13, stop.map({ $0.isFinite && $0 <= 3.6e13 }) ?? true else {
            throw CaptionError(file: file, line: 0, "sample time out of range")
        }
        let read = try EmbeddedCueText.ttmlSample(sample.payload, sampleStart: Int64(start.rounded()),
                                                  sampleEnd: stop.map { Int64($0.rounded()) }, file: file)
        let shifted = (origin * 1e7).rounded()
        guard shifted.isFinite, abs(shifted) <= 3.6e13 else { throw CaptionError(file: file, line: 0, "stream start out of range") }
        let shift = Int64(shifted)
        return read.cues.compactMap { c in
            let (s, e) = (max(0, c.start - shift), c.end - shift)
            return e > s ? Cue(start: s, end: e, lines: c.lines) : nil
        }
    }
}
