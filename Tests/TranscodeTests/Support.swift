import Foundation
import MediaCore
import Transcode
import TestSupport

/// A sink that keeps sample metadata (not bytes) and writes an elementary stream (Annex-B H.264 with
/// SPS/PPS, or ADTS AAC) that ffprobe can read independently of our muxer.
final class RecordingSink: RenditionSink, @unchecked Sendable {
    struct Meta: Equatable { var decodeTime, presentationTime, duration: Int64; var isSync: Bool; var size: Int }
    var config: CodecConfig?
    var samples: [Meta] = []
    var finished = false
    let streamURL: URL?
    private var handle: FileHandle?

    init(streamURL: URL?) { self.streamURL = streamURL }

    func start(_ config: CodecConfig) throws {
        self.config = config
        guard let url = streamURL else { return }
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        handle = try FileHandle(forWritingTo: url)
        if case .video(let v) = config {
            try handle?.write(contentsOf: [0, 0, 0, 1] + v.sps + [0, 0, 0, 1] + v.pps)
        }
    }

    func append(_ sample: EncodedSample) throws {
        samples.append(Meta(decodeTime: sample.decodeTime, presentationTime: sample.presentationTime,
                            duration: sample.duration, isSync: sample.isSync, size: sample.data.count))
        guard let handle, let config else { return }
        switch config {
        case .video:
            var out = [UInt8]()
            var i = 0
            let d = sample.data
            while i + 4 <= d.count {
                let n = Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3])
                out += [0, 0, 0, 1] + d[(i + 4)..<(i + 4 + n)]
                i += 4 + n
            }
            try handle.write(contentsOf: out)
        case .audio(let a):
            let rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000]
            let freq = rates.firstIndex(of: a.sampleRate) ?? 3
            let length = sample.data.count + 7
            let header: [UInt8] = [0xFF, 0xF1, UInt8((1 << 6) | (freq << 2) | (a.channels >> 2)),
                                   UInt8(((a.channels & 3) << 6) | (length >> 11)), UInt8((length >> 3) & 0xFF),
                                   UInt8(((length & 7) << 5) | 0x1F), 0xFC]
            try handle.write(contentsOf: header + sample.data)
        }
    }

    func finish() throws {
        finished = true
        try handle?.close()
    }

    var totalDuration: Int64 { samples.reduce(0) { $0 + $1.duration } }
    var totalBytes: Int { samples.reduce(0) { $0 + $1.size } }
}
