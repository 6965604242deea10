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

    /// Reads a part file: its configuration, then its samples one at a time.
    final class Reader {
        let path: String
        let config: CodecConfig
        private let handle: FileHandle
        private var done = false
        private(set) var count: UInt64 = 0

        init(path: String) throws {
            self.path = path
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            guard try Self.read(handle, PartFile.magic.count) == PartFile.magic else {
                throw Self.bad(path, "not a smoothpack part file")
            }
            let length = Int(try Self.integer(handle, UInt32.self, path))
            guard length <= 1 << 16 else { throw Self.bad(path, "codec configuration of \(length) bytes") }
            do {
                config = try JSONDecoder().decode(CodecConfig.self, from: Data(try Self.read(handle, length)))
            } catch let e as PipelineError {
                throw e
            } catch {
                throw Self.bad(path, "unreadable codec configuration")
            }
        }

        deinit { try? handle.close() }

        /// The next sample, or nil after the end record (then the file must end).
        func next() throws -> EncodedSample? {
            if done { return nil }
            let kind = try Self.read(handle, 1)
            if kind == [0xFF] {
                let declared = try Self.integer(handle, UInt64.self, path)
                guard declared == count else { throw Self.bad(path, "end record says \(declared) samples, read \(count)") }
                guard try handle.read(upToCount: 1)?.isEmpty ?? true else { throw Self.bad(path, "bytes after the end record") }
                done = true
                return nil
            }
            guard kind == [1] else { throw Self.bad(path, "unknown record \(kind)") }
            let sync = try Self.read(handle, 1)[0] == 1
            let dts = Int64(bitPattern: try Self.integer(handle, UInt64.self, path))
            let pts = Int64(bitPattern: try Self.integer(handle, UInt64.self, path))
            let duration = Int64(bitPattern: try Self.integer(handle, UInt64.self, path))
            let size = Int(try Self.integer(handle, UInt32.self, path))
            guard size <= PartFile.maxSampleSize else { throw Self.bad(path, "sample of \(size) bytes") }
            count += 1
            return EncodedSample(data: try Self.read(handle, size), decodeTime: dts, presentationTime: pts,
                                 duration: duration, isSync: sync)
        }

        private static func read(_ handle: FileHandle, _ n: Int) throws -> [UInt8] {
            if n == 0 { return [] }
            let data = try handle.read(upToCount: n) ?? Data()
            guard data.count == n else { throw PipelineError(source: "part file", stage: .package, message: "truncated") }
            return Array(data)
        }

        private static func integer<T: FixedWidthInteger & UnsignedInteger>(_ handle: FileHandle, _: T.Type,
                                                                             _ path: String) throws -> T {
            let bytes = try read(handle, MemoryLayout<T>.size)
            return bytes.reduce(T(0)) { $0 << 8 | T($1) }
        }

        private static func bad(_ path: String, _ why: String) -> PipelineError {
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
