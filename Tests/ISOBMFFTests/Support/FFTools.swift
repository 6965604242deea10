import Foundation
import ISOBMFF
import MediaCore
import Testing

/// Runs the `ffmpeg`/`ffprobe` command-line tools (independent implementations) for interop tests.
/// Tests that need them fail — not skip — when they are missing.
enum FF {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Fails the calling test unless both tools are installed.
    static func requireTools(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for tool in [ffmpeg, ffprobe] {
            try #require(
                FileManager.default.isExecutableFile(atPath: tool),
                "\(tool) is required for this test (apt-get install ffmpeg)", sourceLocation: sourceLocation)
        }
    }

    /// Runs `tool args`, returning exit status, stdout and stderr.
    static func run(_ tool: String, _ args: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("ff-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errHandle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errHandle.close()
        let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return (p.terminationStatus, data, err)
    }

    /// `ffprobe -v error … -of json FILE` parsed.
    static func probe(_ file: String, _ args: [String]) throws -> [String: Any] {
        let r = try run(ffprobe, ["-v", "error"] + args + ["-of", "json", file])
        guard r.status == 0, r.stderr.isEmpty else {
            throw Failure(description: "ffprobe \(args) \(file) failed or complained: \(r.stderr)")
        }
        guard let obj = try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any] else {
            throw Failure(description: "ffprobe output is not a JSON object")
        }
        return obj
    }

    /// Bytes of an ffprobe `-show_data` hex dump: lines `%08x: ` + 41 columns of hex groups + ASCII.
    static func hexdump(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for line in text.split(separator: "\n") where line.count > 10 {
            let columns = line.dropFirst(10).prefix(41).filter { $0 != " " }
            var i = columns.startIndex
            while i < columns.endIndex, let j = columns.index(i, offsetBy: 2, limitedBy: columns.endIndex),
                let b = UInt8(columns[i..<j], radix: 16)
            {
                out.append(b)
                i = j
            }
        }
        return out
    }

    /// Annex-B (start codes) to 4-byte length-prefixed NAL units; length-prefixed input is returned as is.
    static func lengthPrefixed(_ data: [UInt8]) -> [UInt8] {
        let isAnnexB = data.starts(with: [0, 0, 1]) || data.starts(with: [0, 0, 0, 1])
        guard isAnnexB else { return data }
        var nals: [ArraySlice<UInt8>] = []
        var i = 0
        var start = -1
        while i + 2 < data.count {
            if data[i] == 0, data[i + 1] == 0, data[i + 2] == 1 {
                if start >= 0 {
                    var end = i
                    while end > start, data[end - 1] == 0 { end -= 1 }  // trailing zero of a 4-byte start code
                    nals.append(data[start..<end])
                }
                i += 3
                start = i
            } else {
                i += 1
            }
        }
        if start >= 0, start < data.count { nals.append(data[start...]) }
        return nals.flatMap { nal -> [UInt8] in
            let n = nal.count
            return [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + nal
        }
    }

    static func rational(_ s: String) -> Rational? {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let n = Int64(parts[0]), let d = Int64(parts[1]), d != 0 else { return nil }
        return Rational(n, d)
    }

    static func int(_ any: Any?) -> Int64? {
        if let n = any as? NSNumber { return n.int64Value }
        if let s = any as? String { return Int64(s) }
        return nil
    }

    /// Removes the temporary directory holding `file`.
    static func removeDirectory(of file: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: file).deletingLastPathComponent())
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("isobmff-ff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Samples and codec configuration of the first stream of a file, as read by ffprobe, converted to the
/// EncodedSample contract (times from frame counts on the 10 MHz clock, decode times from 0).
struct ProbedStream {
    var codec: CodecConfig
    var samples: [EncodedSample]

    static func load(_ file: String, video: Bool) throws -> ProbedStream {
        let streams = try FF.probe(file, ["-select_streams", "0", "-show_streams", "-show_data"])
        guard let stream = (streams["streams"] as? [[String: Any]])?.first,
            let tb = (stream["time_base"] as? String).flatMap(FF.rational),
            let extradata = stream["extradata"] as? String
        else {
            throw FF.Failure(description: "no stream/time_base/extradata in \(file)")
        }
        let packets = try FF.probe(file, ["-select_streams", "0", "-show_packets", "-show_data"])
        guard let list = packets["packets"] as? [[String: Any]], !list.isEmpty else {
            throw FF.Failure(description: "no packets in \(file)")
        }
        let codec: CodecConfig
        let unit: Rational
        if video {
            var r = ByteReader(FF.hexdump(extradata))
            let avcC = try AvcCBox(body: &r)
            guard let rate = (stream["avg_frame_rate"] as? String).flatMap(FF.rational),
                let w = FF.int(stream["width"]), let h = FF.int(stream["height"]),
                let sps = avcC.sequenceParameterSets.first, let pps = avcC.pictureParameterSets.first
            else {
                throw FF.Failure(description: "incomplete video stream info")
            }
            unit = rate.inverted
            codec = .video(VideoCodecConfig(sps: sps, pps: pps, width: Int(w), height: Int(h), frameDuration: unit))
        } else {
            guard let rate = FF.int(stream["sample_rate"]), let channels = FF.int(stream["channels"]) else {
                throw FF.Failure(description: "incomplete audio stream info")
            }
            let asc = Array(FF.hexdump(extradata).prefix(2))  // docs/format.md §4.4: trim to the LC ASC
            unit = Rational(1024, rate)
            codec = .audio(AudioCodecConfig(audioSpecificConfig: asc, sampleRate: Int(rate), channels: Int(channels)))
        }
        // Offsets (pts − dts) in whole frames, normalised so that the first sample's is 0 (§1.5 option A).
        let ticksPerFrame = unit / tb
        func frames(_ ticks: Int64) -> Int64 {
            let exact = Rational(ticks, 1) / ticksPerFrame
            return Int64((exact.doubleValue).rounded())
        }
        var samples: [EncodedSample] = []
        var firstOffset: Int64?
        for (i, p) in list.enumerated() {
            guard let pts = FF.int(p["pts"]), let dts = FF.int(p["dts"]), let data = p["data"] as? String,
                let flags = p["flags"] as? String
            else {
                throw FF.Failure(description: "packet \(i) lacks pts/dts/data/flags")
            }
            let offset = frames(pts - dts)
            let cto = offset - (firstOffset ?? offset)
            if firstOffset == nil { firstOffset = offset }
            let n = Int64(i)
            let t = Clock.time(ofUnit: n, unitDuration: unit)
            let bytes = FF.hexdump(data)
            samples.append(
                EncodedSample(
                    data: video ? FF.lengthPrefixed(bytes) : bytes, decodeTime: t,
                    presentationTime: Clock.time(ofUnit: n + cto, unitDuration: unit),
                    duration: Clock.time(ofUnit: n + 1, unitDuration: unit) - t,
                    isSync: video ? flags.contains("K") : true))
        }
        return ProbedStream(codec: codec, samples: samples)
    }
}
