internal import Foundation
internal import MediaCore
internal import Planning
internal import Transcode
internal import ISOBMFF
internal import SmoothManifest

/// What the encode writes beside the media for people: `quality.json` (when measured) and `report.html`.
struct ReportExtras {
    let quality: QualityReport?
    let html: String

    init(job: EncodeJob, stem: String, version: String, plan: LadderPlan, info: SourceInfo, decision: PerTitleDecision?,
         written: [WrittenTrack], measurements: TranscodeMeasurements, work: URL) throws {
        var quality: QualityReport?
        if job.profile.measureQuality, let video = plan.video, !measurements.quality.isEmpty {
            var files: [String: URL] = [:]
            for (rung, track) in zip(video.rungs, written.filter { $0.kind == .video }) {
                files[rung.name] = work.appendingPathComponent(track.file)
            }
            quality = try job.qualityReport(measurements.quality, video: video, files: files, work: work)
        }
        self.quality = quality
        html = ReportPage(stem: stem, version: version, plan: plan, info: info, decision: decision, tracks: written,
                          quality: quality, thumbnails: measurements.thumbnails, formats: job.options.formats,
                          profileName: job.profile.name).render()
    }

    func write(to work: URL) throws {
        if let quality { try EncodeJob.writeJSON(quality, to: work.appendingPathComponent(QualityReport.fileName)) }
        try Data(html.utf8).write(to: work.appendingPathComponent(ReportPage.fileName))
    }
}

/// `report.html`: one self-contained page per presentation (inline CSS and SVG, thumbnails as data URLs,
/// no scripts). Every chart point is an SVG element with a class, so tests count them in the DOM:
/// `bar-declared`/`bar-measured` (one per video rung), `pt-bitrate` and `pt-quality` (one per fragment per
/// video rung), `pt-vmaf` (per scored fragment), `thumb` (one per thumbnail).
struct ReportPage {
    static let fileName = "report.html"
    let stem: String
    let version: String
    let plan: LadderPlan
    let info: SourceInfo
    let decision: PerTitleDecision?
    let tracks: [WrittenTrack]
    let quality: QualityReport?
    let thumbnails: [Thumbnail]
    let formats: Set<StreamingFormat>
    let profileName: String

    /// Seconds between thumbnails: at most about 20 over the source, at least 2 s apart.
    static func thumbnailInterval(duration: Double?) -> Double {
        max(2, ((duration ?? 0) / 20).rounded(.up))
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf"]

    var videoTracks: [WrittenTrack] { tracks.filter { $0.kind == .video } }

    func render() -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(stem)) — smoothpack report</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
            th{background:#f4f4f4}td.l,th.l{text-align:left}.muted{color:#777}svg{background:#fcfcfc;border:1px solid #eee}
            .legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
            .thumbs{display:flex;flex-wrap:wrap;gap:6px}.thumbs figure{margin:0;font-size:12px;color:#555;text-align:center}
            code{background:#f4f4f4;padding:1px 4px}
            </style></head><body>
            <h1>\(esc(stem))</h1>
            <div class="muted">version \(esc(version)) · profile \(esc(profileName)) · made by smoothpack \(esc(SmoothPackInfo.version))</div>

            """
        h += section("Play", playSection())
        h += section("Ladder", ladderSection())
        h += section("Bitrate per fragment", lineChart(series: bitrateSeries(), unit: "kb/s", pointClass: "pt-bitrate"))
        if let quality {
            h += section("Quality per fragment (PSNR-Y, dB)", lineChart(series: qualitySeries(quality), unit: "dB", pointClass: "pt-quality"))
            let vmaf = vmafSeries(quality)
            if !vmaf.isEmpty { h += section("VMAF per fragment", lineChart(series: vmaf, unit: "VMAF", pointClass: "pt-vmaf")) }
            h += "<p class=\"muted\">Metrics: \(esc(quality.metrics.joined(separator: ", "))). Reference: \(esc(quality.reference))."
                + (quality.vmafNote.map { " VMAF: \(esc($0))." } ?? "") + "</p>\n"
        } else {
            h += section("Quality", "<p class=\"muted\">Not measured (encode with <code>--quality</code>).</p>")
        }
        h += section("Thumbnails (top rung)", thumbnailSection())
        h += section("Source", sourceSection())
        h += section("Plan and reasons", planSection())
        return h + "</body></html>\n"
    }

    private func section(_ title: String, _ body: String) -> String { "<h2>\(esc(title))</h2>\n\(body)\n" }

    private func playSection() -> String {
        var rows = [("Smooth Streaming (served by smoothpack serve, IIS or CloudFront)", "\(stem).ism/Manifest")]
        if formats.contains(.dash) { rows.append(("MPEG-DASH", "\(stem).mpd")) }
        if formats.contains(.hls) { rows.append(("HLS", "\(stem).m3u8")) }
        return "<table>" + rows.map { "<tr><td class=\"l\">\(esc($0.0))</td><td class=\"l\"><a href=\"\(esc($0.1))\"><code>\(esc($0.1))</code></a></td></tr>" }.joined()
            + "</table><p class=\"muted\">Paths are relative to this folder (<code>\(esc(stem))/\(esc(version))/</code> under the distribution root).</p>"
    }

    private func measured(_ t: WrittenTrack) -> Int {
        t.index.duration > 0 ? Int(Double(t.index.mediaBytes) * 8 * Double(Clock.timescale) / Double(t.index.duration)) : 0
    }

    private func rungQuality(_ t: WrittenTrack, _ i: Int) -> RungQuality? {
        guard let quality, let rung = plan.video?.rungs[safe: i] else { return nil }
        return quality.rungs.first { $0.rung == rung.name }
    }

    private func ladderSection() -> String {
        let video = videoTracks
        guard !video.isEmpty else { return "<p class=\"muted\">No video.</p>" + audioTable() }
        // Bars: declared and measured bitrate per rung, labelled with the size (and PSNR when measured).
        let width = 1000, rowH = 34, left = 170, height = video.count * rowH + 30
        let top = Double(video.map { max($0.bitrate, measured($0)) }.max() ?? 1)
        var svg = "<svg class=\"chart ladder\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, t) in video.enumerated() {
            let y = 10 + i * rowH
            let scale = Double(width - left - 120) / top
            let d = Int(Double(t.bitrate) * scale), m = Int(Double(measured(t)) * scale)
            let name = plan.video?.rungs[safe: i]?.name ?? "rung \(i)"
            svg += "<text x=\"4\" y=\"\(y + 19)\" font-size=\"12\">\(esc(name)) \(t.width ?? 0)x\(t.height ?? 0)</text>"
            svg += "<rect class=\"bar-declared\" x=\"\(left)\" y=\"\(y)\" width=\"\(max(d, 1))\" height=\"12\" fill=\"#1f77b4\"><title>declared \(t.bitrate / 1000) kb/s</title></rect>"
            svg += "<rect class=\"bar-measured\" x=\"\(left)\" y=\"\(y + 13)\" width=\"\(max(m, 1))\" height=\"12\" fill=\"#ff7f0e\"><title>measured \(measured(t) / 1000) kb/s</title></rect>"
            var label = "\(t.bitrate / 1000) / \(measured(t) / 1000) kb/s"
            if let q = rungQuality(t, i) { label += String(format: " · %.2f dB · SSIM %.4f", q.psnrY, q.ssimAll) }
            svg += "<text x=\"\(left + max(d, m) + 6)\" y=\"\(y + 19)\" font-size=\"12\">\(esc(label))</text>"
        }
        svg += "</svg>"
        let legend = "<div class=\"legend\"><span><i style=\"background:#1f77b4\"></i>declared (manifest)</span>"
            + "<span><i style=\"background:#ff7f0e\"></i>measured (media bytes)</span></div>"
        var table = "<table><tr><th class=\"l\">rung</th><th>size</th><th>declared kb/s</th><th>measured kb/s</th><th>MB</th>"
        if quality != nil { table += "<th>PSNR-Y</th><th>PSNR avg</th><th>PSNR-Y 1%</th><th>SSIM</th><th>SSIM 1%</th><th>worst fragment</th><th>VMAF</th>" }
        table += "<th class=\"l\">file</th></tr>"
        for (i, t) in video.enumerated() {
            let name = plan.video?.rungs[safe: i]?.name ?? "rung \(i)"
            table += "<tr><td class=\"l\">\(esc(name))</td><td>\(t.width ?? 0)x\(t.height ?? 0)</td><td>\(t.bitrate / 1000)</td>"
                + "<td>\(measured(t) / 1000)</td><td>\(String(format: "%.2f", Double(t.index.totalBytes) / 1e6))</td>"
            if quality != nil {
                if let q = rungQuality(t, i) {
                    table += String(format: "<td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.4f</td><td>%.4f</td>", q.psnrY,
                                    q.psnrAverage, q.psnrYP1, q.ssimAll, q.ssimP1)
                    table += "<td>#\(q.worstFragment)</td><td>\(q.vmaf.map { String(format: "%.2f", $0.mean) } ?? "—")</td>"
                } else {
                    table += String(repeating: "<td>—</td>", count: 7)
                }
            }
            table += "<td class=\"l\"><code>\(esc(t.file))</code></td></tr>"
        }
        return svg + legend + table + "</table>" + audioTable()
    }

    private func audioTable() -> String {
        let audio = tracks.filter { $0.kind == .audio }
        guard !audio.isEmpty else { return "" }
        return "<table><tr><th class=\"l\">audio track</th><th>kb/s</th><th class=\"l\">language</th><th class=\"l\">file</th></tr>"
            + audio.map { "<tr><td class=\"l\">\(esc($0.trackName ?? "audio"))</td><td>\($0.bitrate / 1000)</td><td class=\"l\">\(esc($0.language ?? "—"))</td><td class=\"l\"><code>\(esc($0.file))</code></td></tr>" }.joined()
            + "</table>"
    }

    struct Series {
        var name: String
        /// (seconds, value); nil values leave a gap and draw no point.
        var points: [(Double, Double?)]
    }

    private func bitrateSeries() -> [Series] {
        videoTracks.enumerated().map { i, t in
            Series(name: plan.video?.rungs[safe: i]?.name ?? "rung \(i)", points: t.index.fragments.map { f in
                let seconds = Double(f.time) / Double(Clock.timescale)
                let kbps = f.duration > 0 ? Double(f.mdatSize - 8) * 8 * Double(Clock.timescale) / Double(f.duration) / 1000 : 0
                return (seconds, kbps)
            })
        }
    }

    private func fragmentSeconds() -> Double { plan.video?.fragmentDuration.doubleValue ?? 2 }

    private func qualitySeries(_ q: QualityReport) -> [Series] {
        q.rungs.map { r in Series(name: r.rung, points: r.fragments.map { (Double($0.index) * fragmentSeconds(), $0.psnrY) }) }
    }

    private func vmafSeries(_ q: QualityReport) -> [Series] {
        q.rungs.compactMap { r in
            r.vmaf.map { v in Series(name: r.rung, points: v.fragments.enumerated().map { (Double($0.offset) * fragmentSeconds(), $0.element) }) }
        }
    }

    /// A line chart with one polyline and one circle per point and series; axes labelled at the ends.
    private func lineChart(series: [Series], unit: String, pointClass: String) -> String {
        let values = series.flatMap { $0.points.compactMap(\.1) }
        guard !values.isEmpty else { return "<p class=\"muted\">No data.</p>" }
        let times = series.flatMap { $0.points.map(\.0) }
        let (w, h, left, right, top, bottom) = (1000.0, 280.0, 60.0, 20.0, 14.0, 30.0)
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if unit == "kb/s" { lo = 0 }
        if hi - lo < 1e-9 { hi = lo + 1 }
        let pad = (hi - lo) * 0.05
        lo = unit == "kb/s" ? 0 : lo - pad
        hi += pad
        let t0 = times.min() ?? 0, t1 = max(times.max() ?? 1, t0 + 1e-9)
        func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom) }
        var svg = "<svg class=\"chart\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<line x1=\"\(left)\" y1=\"\(h - bottom)\" x2=\"\(w - right)\" y2=\"\(h - bottom)\" stroke=\"#999\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(h - bottom)\" stroke=\"#999\"/>"
        for v in [lo, (lo + hi) / 2, hi] {
            svg += String(format: "<text x=\"4\" y=\"%.1f\" font-size=\"11\">%.1f</text>", y(v) + 4, v)
            svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left, y(v), w - right, y(v))
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%.1f s</text>", left, h - 10, t0)
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.1f s</text>", w - right, h - 10, t1)
        svg += "<text x=\"\(Int(w / 2))\" y=\"\(Int(h - 10))\" font-size=\"11\" text-anchor=\"middle\">\(esc(unit)) over time</text>"
        for (i, s) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let pts = s.points.compactMap { p in p.1.map { String(format: "%.1f,%.1f", x(p.0), y($0)) } }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>"
            for p in s.points {
                guard let v = p.1 else { continue }
                let at = String(format: "cx=\"%.1f\" cy=\"%.1f\"", x(p.0), y(v))
                let what = String(format: "%.1f s: %.2f", p.0, v)
                svg += "<circle class=\"\(pointClass)\" data-series=\"\(esc(s.name))\" \(at) r=\"2.5\" fill=\"\(color)\">"
                    + "<title>\(esc(s.name)) \(what) \(esc(unit))</title></circle>"
            }
        }
        svg += "</svg>"
        let legend = "<div class=\"legend\">" + series.enumerated().map { i, s in
            "<span><i style=\"background:\(Self.palette[i % Self.palette.count])\"></i>\(esc(s.name))</span>"
        }.joined() + "</div>"
        return svg + legend
    }

    private func thumbnailSection() -> String {
        guard !thumbnails.isEmpty else { return "<p class=\"muted\">No video.</p>" }
        return "<div class=\"thumbs\">" + thumbnails.map { t in
            "<figure><img class=\"thumb\" alt=\"\(String(format: "%.1f", t.time)) s\" src=\"data:image/jpeg;base64,\(Data(t.jpeg).base64EncodedString())\">"
                + "<figcaption>\(String(format: "%.1f", t.time)) s</figcaption></figure>"
        }.joined() + "</div>"
    }

    private func sourceSection() -> String {
        var rows: [(String, String)] = [
            ("file", URL(fileURLWithPath: info.path).lastPathComponent), ("container", info.container),
            ("duration", info.duration.map { String(format: "%.3f s", $0) } ?? "unknown"), ("size", "\(info.fileSize) bytes"),
        ]
        for v in info.videoStreams {
            rows.append(("video #\(v.index)", "\(v.codec) \(v.width)x\(v.height), SAR \(v.sampleAspectRatio), DAR \(v.displayAspect), "
                + "\(String(format: "%.3f", v.frameRate.doubleValue)) fps\(v.isVariableFrameRate ? " (variable)" : ""), \(v.pixelFormat) "
                + "\(v.bitDepth)-bit, \(v.fieldOrder.rawValue)\(v.rotation != 0 ? ", rotated \(v.rotation)°" : "")"))
        }
        for a in info.audioStreams {
            rows.append(("audio #\(a.index)", "\(a.codec) \(a.sampleRate) Hz \(a.channelLayout)\(a.language.map { " [\($0)]" } ?? "")"))
        }
        return "<table>" + rows.map { "<tr><th class=\"l\">\(esc($0.0))</th><td class=\"l\">\(esc($0.1))</td></tr>" }.joined() + "</table>"
    }

    private func planSection() -> String {
        var h = ""
        if let video = plan.video {
            h += "<p>\(String(format: "%.3f", video.frameRate.doubleValue)) fps, GOP \(video.framesPerFragment) frames = "
                + "\(String(format: "%.3f", video.fragmentDuration.doubleValue)) s per fragment"
                + (video.deinterlace ? ", deinterlaced" : "") + (video.rotation != 0 ? ", rotated \(video.rotation)°" : "") + ".</p>"
        }
        if let d = decision {
            h += "<p>Per-title ladder: CRF \(d.crf) target; the analysis encoded \(String(format: "%.1f", d.measurement.sampledSeconds)) s "
                + "in \(d.measurement.segments) segment(s) in \(String(format: "%.2f", d.measurement.elapsed)) s; bits ∝ area^"
                + "\(String(format: "%.2f", d.exponent)); planned \(Int((d.plannedShareOfFixed * 100).rounded())) % of the fixed ladder's bitrate.</p>"
            h += "<table><tr><th class=\"l\">rung</th><th>size</th><th>ceiling kb/s</th><th>estimate kb/s</th><th>planned kb/s</th><th>maxrate kb/s</th><th>CRF</th><th class=\"l\">mode</th></tr>"
            for r in d.rungs {
                h += "<tr><td class=\"l\">\(esc(r.name))</td><td>\(r.width)x\(r.height)</td><td>\(r.ceiling / 1000)</td><td>\(r.estimate / 1000)</td>"
                    + "<td>\(r.bitrate / 1000)</td><td>\(r.maxrate / 1000)</td><td>\(r.crf.map(String.init) ?? "")</td><td class=\"l\">\(esc(r.mode.rawValue))\(r.mergedInto.map { " into \(esc($0))" } ?? "")</td></tr>"
            }
            h += "</table>"
            h += "<table><tr><th class=\"l\">probe size</th><th>kb/s at CRF \(d.crf)</th></tr>"
                + d.measurement.points.map { "<tr><td class=\"l\">\($0.width)x\($0.height)</td><td>\(Int($0.bitsPerSecond / 1000))</td></tr>" }.joined()
                + "</table>"
        }
        let notes = plan.notes
        h += notes.isEmpty ? "<p class=\"muted\">The profile's ladder applied as written.</p>"
            : "<ul>" + notes.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
        return h
    }

    /// Text and attribute values: the manifests' escaping (`& < > " '`, controls dropped) serves HTML too.
    private func esc(_ s: String) -> String { XMLWriter.escape(s) }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
