internal import Foundation
internal import ISOBMFF
internal import Platform
internal import Synchronization

/// A new output file's SHA-256, MD5 and size, taken from the bytes as they were written.
struct WrittenDigest: Sendable, Equatable {
    var sha256: [UInt8]
    var md5: [UInt8]
    var size: Int64
}

/// The muxer's sink for a new media file: bytes are gathered into large chunks (4 MiB) and a writer thread of
/// its own digests each chunk (SHA-256 and MD5, what `upload-manifest.json` lists) and appends it to the file.
/// So the output is never read back to be hashed, the file gets large sequential writes, and digesting overlaps
/// the caller's demuxing and muxing. At most `depth` chunks are in flight (memory stays bounded); the chunks
/// are recycled, so a long file costs no more allocations than a short one.
///
/// A write or digest failure is reported by the next ``write(_:)`` or by ``close()``; ``abandon()`` stops the
/// writer after an error elsewhere (the caller removes the file).
final class DigestingFileSink: ByteSink {
    /// What the writer thread shares with the caller.
    private final class Shared: Sendable {
        let full: ChunkQueue
        let empty: ChunkQueue
        let file: AppendFile
        let failure = Mutex<PlatformError?>(nil)
        let result = Mutex<WrittenDigest?>(nil)
        let done = DispatchSemaphore(value: 0)

        init(file: AppendFile, depth: Int) {
            self.file = file
            full = ChunkQueue(capacity: depth)
            empty = ChunkQueue(capacity: depth + 1)
        }
    }

    private let shared: Shared
    private var chunk: [UInt8]
    private let chunkSize: Int
    private var closed = false
    /// The path as given.
    let path: String

    /// Creates or truncates `path` and starts its writer thread.
    init(path: String, chunkSize: Int = 4 << 20, depth: Int = 3) throws {
        precondition(chunkSize > 0 && depth > 0, "DigestingFileSink needs a chunk and room for one")
        let file: AppendFile
        do { file = try AppendFile(path: path, truncate: true) } catch {
            throw MP4Error(code: .io, box: "    ", detail: "\(error)")
        }
        let shared = Shared(file: file, depth: depth)
        for _ in 0..<depth { shared.empty.put(Self.newChunk(chunkSize)) }
        self.path = path
        self.chunkSize = chunkSize
        self.shared = shared
        chunk = Self.newChunk(chunkSize)
        do {
            try Blocking.startThread(name: "digest \(path)", stackSize: 1 << 20) { Self.writerLoop(shared) }
        } catch {
            closed = true  // no writer to wait for
            _ = try? file.close()
            throw MP4Error(code: .io, box: "    ", detail: "\(error)")
        }
    }

    deinit {
        if !closed { abandon() }
    }

    private static func newChunk(_ size: Int) -> [UInt8] {
        var c: [UInt8] = []
        c.reserveCapacity(size)
        return c
    }

    /// The writer thread: digest and append each full chunk, hand it back empty; finish when the queue closes.
    /// MD5 (the slowest of the three, about 0.65 GB/s here) runs on a thread of its own on the same chunk while
    /// this one takes SHA-256 and appends it, so the two overlap on two cores; the chunk is recycled once both
    /// are done with it.
    private static func writerLoop(_ shared: Shared) {
        var sha = SHA256()
        let md5 = MD5Thread.start()
        var inlineMD5 = md5 == nil ? MD5() : nil
        var size: Int64 = 0
        var failed = false
        while var chunk = shared.full.take() {
            if !failed {
                md5?.input.put(chunk)
                chunk.withUnsafeBytes { bytes in
                    sha.update(bytes)
                    inlineMD5?.update(bytes)
                }
                do throws(PlatformError) { try shared.file.append(chunk) } catch {
                    failed = true
                    shared.failure.withLock { $0 = error }
                }
                // The folder is synced before it is published (OutputFolder.publish): the disk starts on each chunk now,
                // alongside the muxing, instead of on the whole file then.
                shared.file.startWriteback(offset: size, count: Int64(chunk.count))
                size += Int64(chunk.count)
                if let back = md5?.output.take() {
                    chunk = back  // the MD5 thread's reference is gone: the storage is ours alone again
                }
            }
            chunk.removeAll(keepingCapacity: true)
            shared.empty.put(chunk)
        }
        let md5Digest = md5?.finish() ?? inlineMD5?.finalize()
        if !failed, let md5Digest {
            let digest = WrittenDigest(sha256: sha.finalize(), md5: md5Digest, size: size)
            shared.result.withLock { $0 = digest }
        }
        shared.done.signal()
    }

    /// MD5 of the chunks put into `input`, each handed back through `output` once digested.
    private final class MD5Thread: Sendable {
        let input = ChunkQueue(capacity: 1)
        let output = ChunkQueue(capacity: 1)
        private let digest = Mutex<[UInt8]?>(nil)
        private let done = DispatchSemaphore(value: 0)

        /// Nil when no thread can be started (the writer then computes MD5 itself).
        static func start() -> MD5Thread? {
            let t = MD5Thread()
            do {
                try Blocking.startThread(name: "md5", stackSize: 1 << 20) {
                    var md5 = MD5()
                    while let chunk = t.input.take() {
                        chunk.withUnsafeBytes { md5.update($0) }
                        t.output.put(chunk)
                    }
                    let d = md5.finalize()
                    t.digest.withLock { $0 = d }
                    t.done.signal()
                }
            } catch {
                return nil
            }
            return t
        }

        /// Ends the input and returns the digest of everything put in.
        func finish() -> [UInt8] {
            input.close()
            done.wait()
            return digest.withLock { $0 } ?? []
        }
    }

    private func checkWriter() throws {
        if let error = shared.failure.withLock({ $0 }) {
            throw MP4Error(code: .io, box: "    ", detail: "\(error)")
        }
    }

    private func handOff() throws {
        try checkWriter()
        let full = chunk
        chunk = shared.empty.take() ?? Self.newChunk(chunkSize)
        shared.full.put(full)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !closed else { throw MP4Error(code: .io, box: "    ", detail: "\(path) is closed") }
        var rest = bytes
        while !rest.isEmpty {
            let room = chunkSize - chunk.count
            let n = min(room, rest.count)
            chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<n]))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if chunk.count == chunkSize { try handOff() }
        }
    }

    /// Hands the partial chunk to the writer (it does not wait for the write).
    func flush() throws {
        guard !closed else { return }
        if !chunk.isEmpty { try handOff() }
    }

    /// Writes what is left, waits for the writer, closes the file and returns the digests of every byte written.
    func close() throws -> WrittenDigest {
        guard !closed else { throw MP4Error(code: .io, box: "    ", detail: "\(path) is closed") }
        if !chunk.isEmpty { try handOff() }
        closed = true
        shared.full.close()
        shared.done.wait()
        try checkWriter()
        do { try shared.file.close() } catch { throw MP4Error(code: .io, box: "    ", detail: "\(error)") }
        guard let digest = shared.result.withLock({ $0 }) else {
            throw MP4Error(code: .io, box: "    ", detail: "\(path): the writer stopped without a digest")
        }
        return digest
    }

    /// Stops the writer without finishing the file (after an error elsewhere); waits for it.
    func abandon() {
        guard !closed else { return }
        closed = true
        shared.full.close()
        shared.done.wait()
        _ = try? shared.file.close()
    }
}

/// A fixed-capacity FIFO of chunks between the caller and the writer thread: `put` waits while full, `take`
/// waits while empty and returns nil once closed and drained. The state lives in a `Mutex`; the `NSCondition`
/// only parks and wakes threads, and every change happens with its lock held, so no wake-up is lost.
final class ChunkQueue: Sendable {
    private struct State: ~Copyable {
        var items: [[UInt8]] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Adds `chunk`, waiting for room; dropped when the queue is closed.
    func put(_ chunk: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        while state.withLock({ $0.items.count >= capacity && !$0.closed }) { condition.wait() }
        state.withLock { s in
            if !s.closed { s.items.append(chunk) }
        }
        condition.broadcast()
    }

    /// The oldest chunk, waiting for one; nil once closed and drained.
    func take() -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        while state.withLock({ $0.items.isEmpty && !$0.closed }) { condition.wait() }
        let chunk = state.withLock { s -> [UInt8]? in s.items.isEmpty ? nil : s.items.removeFirst() }
        condition.broadcast()
        return chunk
    }

    /// Ends the stream: the taker drains what is left, then gets nil.
    func close() {
        condition.lock()
        state.withLock { $0.closed = true }
        condition.broadcast()
        condition.unlock()
    }
}
