internal import Foundation
internal import MediaCore
internal import Transcode

/// One rendition's encoded samples for one part of a split encode, as a chunk job hands them to the join:
/// the codec configuration, then every sample with its times on the whole presentation's timeline, then an
/// end record. Private to smoothpack (the work prefix in S3 and the workers' scratch); a file without its end
/// record, or with anything after it, is refused.
///
/// ```
/// "SMOOTHPACK-PART/1\n"  u32 length + JSON CodecConfig
/// per sample: u8 1 | u8 isSync | i64 decodeTime | i64 presentationTime | i64 duration | u32 size | bytes
/// end:        u8 0xFF | u64 sample count
/// ```
enum PartFile {
    static let magic = Array("SMOOTHPACK-PART/1\n".utf8)
    /// Larger samples are refused when read (an H.264 access unit of a 4K frame is far below this).
    static let maxSampleSize = 64 << 20

    /// Writes a part file; the transcoder drives it as it would drive the muxer.
    final class Writer: RenditionSink {
        let path: String
        private var handle: FileHandle?
        private var buffer: [UInt8] = []
        private(set) var count: UInt64 = 0

        init(path: String) { self.path = path }

        func start(_ config: CodecConfig) throws {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw PipelineError(source: path, stage: .encode, message: "cannot create the part file")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            let json = Array(try JSONEncoder().encode(config))
            buffer = PartFile.magic
            buffer.append(UInt32(json.count))
            buffer += json
        }

        func append(_ sample: EncodedSample) throws {
            buffer.append(UInt8(1))
            buffer.append(UInt8(sample.isSync ? 1 : 0))
            buffer.append(UInt64(bitPattern: sample.decodeTime))
            buffer.append(UInt64(bitPattern: sample.presentationTime))
            buffer.append(UInt64(bitPattern: sample.duration))
            buffer.append(UInt32(sample.data.count))
            buffer += sample.data
            count += 1
            if buffer.count >= 1 << 20 { try flush() }
        }

        func finish() throws {
            buffer.append(UInt8(0xFF))
            buffer.append(count)
            try flush()
            try handle?.synchronize()
            try handle?.close()
            handle = nil
        }

        private func flush() throws {
            try handle?.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// Reads a part file: its configuration, then its samples one at a time (through a 1 MiB buffer).
    final class Reader {
        let path: String
        let config: CodecConfig
        private let input: BufferedInput
        private var done = false
        private(set) var count: UInt64 = 0

        init(path: String) throws {
            self.path = path
            let input = try BufferedInput(path: path)
            self.input = input
            guard try input.read(PartFile.magic.count) == PartFile.magic else { throw input.bad("not a smoothpack part file") }
            let length = Int(try input.integer(UInt32.self))
            guard length <= 1 << 16 else { throw input.bad("codec configuration of \(length) bytes") }
            let json = try input.read(length)
            guard let config = try? JSONDecoder().decode(CodecConfig.self, from: Data(json)) else {
                throw input.bad("unreadable codec configuration")
            }
            self.config = config
        }

        /// The next sample, or nil after the end record (then the file must end).
        func next() throws -> EncodedSample? {
            if done { return nil }
            let kind = try input.read(1)[0]
            if kind == 0xFF {
                let declared = try input.integer(UInt64.self)
                guard declared == count else { throw input.bad("end record says \(declared) samples, read \(count)") }
                guard try !input.fill(1) else { throw input.bad("bytes after the end record") }
                done = true
                return nil
            }
            guard kind == 1 else { throw input.bad("unknown record \(kind)") }
            let sync = try input.read(1)[0] == 1
            let dts = Int64(bitPattern: try input.integer(UInt64.self))
            let pts = Int64(bitPattern: try input.integer(UInt64.self))
            let duration = Int64(bitPattern: try input.integer(UInt64.self))
            let size = Int(try input.integer(UInt32.self))
            guard size <= PartFile.maxSampleSize else { throw input.bad("sample of \(size) bytes") }
            count += 1
            return EncodedSample(data: try input.read(size), decodeTime: dts, presentationTime: pts, duration: duration,
                                 isSync: sync)
        }
    }

    /// A file read front to back through a buffer of 1 MiB (or one record, when larger).
    private final class BufferedInput {
        let path: String
        private let handle: FileHandle
        private var buffer: [UInt8] = []
        private var position = 0

        init(path: String) throws {
            self.path = path
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        }

        deinit { try? handle.close() }

        /// Whether `n` bytes are buffered, after refilling from the file as needed.
        func fill(_ n: Int) throws -> Bool {
            while buffer.count - position < n {
                if position > 0 {
                    buffer.removeFirst(position)
                    position = 0
                }
                guard let more = try handle.read(upToCount: max(1 << 20, n - buffer.count)), !more.isEmpty else {
                    return false
                }
                buffer += more
            }
            return true
        }

        func read(_ n: Int) throws -> [UInt8] {
            guard try fill(n) else { throw bad("truncated") }
            defer { position += n }
            return Array(buffer[position..<(position + n)])
        }

        func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard try fill(size) else { throw bad("truncated") }
            var value = T(0)
            for i in position..<(position + size) { value = value << 8 | T(buffer[i]) }
            position += size
            return value
        }

        func bad(_ why: String) -> PipelineError {
            PipelineError(source: path, stage: .package, message: "part file: \(why)")
        }
    }
}

private extension Array where Element == UInt8 {
    /// Appends `value` big-endian.
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        var v = value.bigEndian
        Swift.withUnsafeBytes(of: &v) { self.append(contentsOf: $0) }
    }
}
