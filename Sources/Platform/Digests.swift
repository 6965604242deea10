public import SystemPackage
internal import CCrypto

/// A streaming digest over OpenSSL's EVP interface (`EVP_DigestInit_ex`, `EVP_DigestUpdate`,
/// `EVP_DigestFinal_ex`). A value type: a copy continues independently (copy on write, `EVP_MD_CTX_copy_ex`).
struct EVPDigest: Sendable {
    /// Owns an `EVP_MD_CTX`. C: `EVP_MD_CTX_new` / `EVP_MD_CTX_free`.
    /// `@unchecked Sendable`: the context is only mutated through `EVPDigest`'s mutating methods, which first
    /// copy it unless uniquely referenced (copy on write), so no two threads ever touch one context. A Mutex
    /// would not help: the pointer itself is what cannot be declared Sendable.
    private final class Context: @unchecked Sendable {
        let raw: OpaquePointer
        init(_ md: OpaquePointer) {
            // Allocation or initialisation fails only when out of memory or when OpenSSL lacks the
            // algorithm, neither of which a caller could handle.
            guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, md, nil) == 1 else {
                preconditionFailure("OpenSSL cannot initialise a digest")
            }
            raw = ctx
        }
        init(copying other: Context) {
            guard let ctx = EVP_MD_CTX_new(), EVP_MD_CTX_copy_ex(ctx, other.raw) == 1 else {
                preconditionFailure("OpenSSL cannot copy a digest context")
            }
            raw = ctx
        }
        deinit { EVP_MD_CTX_free(raw) }
    }

    private var context: Context
    private var finished = false

    init(sha256: Void) {
        CryptoLibrary.prepare()
        context = Context(EVP_sha256())
    }

    init(md5: Void) {
        CryptoLibrary.prepare()
        context = Context(EVP_md5())
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(!finished, "update after finalize")
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        guard EVP_DigestUpdate(context.raw, base, bytes.count) == 1 else { preconditionFailure("EVP_DigestUpdate failed") }
    }

    mutating func finalize() -> [UInt8] {
        precondition(!finished, "finalize called twice")
        if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
        finished = true
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context.raw, &out, &length) == 1 else { preconditionFailure("EVP_DigestFinal_ex failed") }
        return Array(out.prefix(Int(length)))
    }
}

/// SHA-256 (FIPS 180-4), streaming: `update` any number of times, then `finalize` once.
public struct SHA256: Sendable {
    private var digest = EVPDigest(sha256: ())

    /// Creates a fresh hash state.
    public init() {}

    /// One-shot digest (32 bytes).
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var s = SHA256()
        s.update(Array(bytes))
        return s.finalize()
    }

    /// Adds bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Adds bytes without copying them.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { digest.update(bytes) }

    /// The 32-byte digest; call once.
    public mutating func finalize() -> [UInt8] { digest.finalize() }
}

/// MD5 (RFC 1321), streaming — for S3's `Content-MD5`, not for security.
public struct MD5: Sendable {
    private var digest = EVPDigest(md5: ())

    /// Creates a fresh hash state.
    public init() {}

    /// One-shot digest (16 bytes).
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var s = MD5()
        s.update(Array(bytes))
        return s.finalize()
    }

    /// Adds bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Adds bytes without copying them.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { digest.update(bytes) }

    /// The 16-byte digest; call once.
    public mutating func finalize() -> [UInt8] { digest.finalize() }
}

/// Whole-file digests and the text forms digests travel in.
public enum Digests {
    /// Read size of ``file(at:chunkSize:)`` (4 MiB): memory stays bounded whatever the file size.
    public static let defaultChunkSize = 4 << 20

    /// ``file(at:chunkSize:)`` for a path given as a string.
    public static func file(atPath path: String, chunkSize: Int = defaultChunkSize)
        throws(PlatformError) -> (sha256: [UInt8], md5: [UInt8], size: Int64)
    {
        try file(at: FilePath(path), chunkSize: chunkSize)
    }

    /// SHA-256 and MD5 of the file at `path` and its size, in one streaming pass of `chunkSize` reads
    /// (C: `open`, `read`).
    public static func file(at path: FilePath, chunkSize: Int = defaultChunkSize)
        throws(PlatformError) -> (sha256: [UInt8], md5: [UInt8], size: Int64)
    {
        precondition(chunkSize > 0, "chunk size must be positive")
        let fd = try sys("open", path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) }
        defer { _ = try? fd.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var sha = SHA256()
        var md5 = MD5()
        var size: Int64 = 0
        while true {
            let n = try sys("read", path) { try fd.read(into: buffer) }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[..<n])
            sha.update(chunk)
            md5.update(chunk)
            size += Int64(n)
        }
        return (sha.finalize(), md5.finalize(), size)
    }

    /// Adds every byte of the file at `path` to `hash`, in `chunkSize` reads into one buffer (C: `open`, `read`).
    /// Foundation's `FileHandle.read(upToCount:)` reads 4 KiB at a time on Linux and allocates a `Data` per call:
    /// 49,000 `read`s for a 200 MB input, which made the version hash the slowest part of `package`.
    public static func update(_ hash: inout SHA256, withFileAtPath pathString: String, chunkSize: Int = defaultChunkSize)
        throws(PlatformError)
    {
        let path = FilePath(pathString)
        precondition(chunkSize > 0, "chunk size must be positive")
        let fd = try sys("open", path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) }
        defer { _ = try? fd.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try sys("read", path) { try fd.read(into: buffer) }
            if n == 0 { break }
            hash.update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }

    private static let lowerDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let base64Alphabet: [UInt8] =
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Lower-case hex, the `sha256sum` spelling.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(lowerDigits[Int(b >> 4)])
            out.append(lowerDigits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard base64 with `=` padding (RFC 4648 §4), the spelling of S3's `Content-MD5`.
    public static func base64(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i < input.count {
            let b0 = UInt32(input[i])
            let b1 = i + 1 < input.count ? UInt32(input[i + 1]) : 0
            let b2 = i + 2 < input.count ? UInt32(input[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(base64Alphabet[Int(v >> 18 & 0x3F)])
            out.append(base64Alphabet[Int(v >> 12 & 0x3F)])
            out.append(i + 1 < input.count ? base64Alphabet[Int(v >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(i + 2 < input.count ? base64Alphabet[Int(v & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
