internal import CFFmpeg
public import MediaCore
internal import Foundation

extension InputFile {
    /// What is in the file: container, duration and every audio and video stream (`SourceInfo`).
    public func probe() -> SourceInfo {
        var videos: [VideoStreamInfo] = []
        var audios: [AudioStreamInfo] = []
        var others: [OtherStreamInfo] = []
        for i in 0..<streamCount {
            let st = stream(i)
            guard let par = st.pointee.codecpar?.pointee else { continue }
            let codec = Self.codecName(par)
            let duration = seconds(st.pointee.duration, st.pointee.time_base)
            switch par.codec_type {
            case AVMEDIA_TYPE_VIDEO:
                videos.append(videoInfo(st, par, index: i, codec: codec, duration: duration))
            case AVMEDIA_TYPE_AUDIO:
                var layout = [CChar](repeating: 0, count: 128)
                var chLayout = par.ch_layout
                if av_channel_layout_describe(&chLayout, &layout, layout.count) < 0 { layout[0] = 0 }
                let description = String(decoding: layout.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                                         as: UTF8.self)
                audios.append(AudioStreamInfo(
                    index: i, codec: codec, sampleRate: Int(par.sample_rate), channels: Int(par.ch_layout.nb_channels),
                    channelLayout: description.isEmpty ? "\(par.ch_layout.nb_channels) channels" : description,
                    language: language(st), duration: duration))
            default:
                // A TTML track the demuxer left as data (see codecName) is a subtitle stream.
                let type = codec == "ttml" ? "subtitle"
                    : av_get_media_type_string(par.codec_type).map { String(cString: $0) } ?? "unknown"
                others.append(OtherStreamInfo(index: i, type: type, codec: codec))
            }
        }
        let formatName = context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
        let d = context.pointee.duration
        let duration = d == cffmpeg_nopts() || d <= 0 ? nil : Double(d) / Double(cffmpeg_time_base())
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return SourceInfo(path: path, container: formatName, duration: duration, fileSize: size,
                          videoStreams: videos, audioStreams: audios, otherStreams: others)
    }

    private func videoInfo(_ st: UnsafeMutablePointer<AVStream>, _ par: AVCodecParameters, index: Int,
                           codec: String, duration: Double?) -> VideoStreamInfo {
        let sarRaw = par.sample_aspect_ratio.num > 0 && par.sample_aspect_ratio.den > 0
            ? par.sample_aspect_ratio : st.pointee.sample_aspect_ratio
        let sar = sarRaw.num > 0 && sarRaw.den > 0 ? Rational(Int64(sarRaw.num), Int64(sarRaw.den)) : Rational(1, 1)
        let real = rational(st.pointee.r_frame_rate)
        let average = rational(st.pointee.avg_frame_rate)
        // r_frame_rate is the exact base rate of a constant-rate stream (30000/1001); avg_frame_rate is
        // frames over duration. They disagree by more than 1% only when frame durations vary.
        var isVariable = false
        var rate = real ?? average ?? Rational(25, 1)
        if let real, let average {
            let ratio = real.doubleValue / average.doubleValue
            if abs(ratio - 1) > 0.01 {
                isVariable = true
                rate = average
            }
        }
        let fieldOrder: FieldOrder
        switch par.field_order {
        case AV_FIELD_PROGRESSIVE: fieldOrder = .progressive
        case AV_FIELD_TT, AV_FIELD_TB: fieldOrder = .topFieldFirst
        case AV_FIELD_BB, AV_FIELD_BT: fieldOrder = .bottomFieldFirst
        default: fieldOrder = .unknown
        }
        // av_display_rotation_get gives the counter-clockwise angle; we store the clockwise turn to apply.
        var rotation = 0
        let ccw = cffmpeg_stream_rotation(st)
        if !ccw.isNaN {
            let clockwise = Int((-ccw).rounded())
            rotation = ((clockwise % 360) + 360) % 360
            rotation = [0, 90, 180, 270].min { abs($0 - rotation) < abs($1 - rotation) } ?? 0
        }
        let pixFmt = AVPixelFormat(rawValue: par.format)
        let name = av_get_pix_fmt_name(pixFmt).map { String(cString: $0) } ?? "unknown"
        let depth = av_pix_fmt_desc_get(pixFmt).map { Int($0.pointee.comp.0.depth) } ?? 8
        let frames = st.pointee.nb_frames > 0 ? st.pointee.nb_frames : nil
        return VideoStreamInfo(
            index: index, codec: codec, width: Int(par.width), height: Int(par.height), sampleAspectRatio: sar,
            frameRate: rate, isVariableFrameRate: isVariable, fieldOrder: fieldOrder, rotation: rotation,
            pixelFormat: name, bitDepth: depth,
            isAttachedPicture: st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0,
            duration: duration, frameCount: frames)
    }

    private func rational(_ r: AVRational) -> Rational? {
        r.num > 0 && r.den > 0 ? Rational(Int64(r.num), Int64(r.den)) : nil
    }

    private func seconds(_ value: Int64, _ tb: AVRational) -> Double? {
        guard value != cffmpeg_nopts(), value > 0, tb.den > 0 else { return nil }
        return Double(value) * Double(tb.num) / Double(tb.den)
    }

    private func language(_ st: UnsafeMutablePointer<AVStream>) -> String? {
        guard let entry = av_dict_get(st.pointee.metadata, "language", nil, 0),
              let value = entry.pointee.value else { return nil }
        let lang = String(cString: value).lowercased()
        return lang.isEmpty || lang == "und" ? nil : lang
    }
}

/// Probe: opens a source and describes it.
public enum Probe {
    /// Probes the file at `path`. Throws `FFmpegError` naming the file when libavformat cannot open it.
    public static func probe(path: String) throws(FFmpegError) -> SourceInfo {
        try InputFile(path: path).probe()
    }
}
