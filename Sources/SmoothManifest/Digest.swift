internal import CCrypto

/// A streaming digest over OpenSSL's EVP interface (`EVP_DigestInit_ex`, `EVP_DigestUpdate`,
/// `EVP_DigestFinal_ex`). A value type: a copy continues independently (copy on write, `EVP_MD_CTX_copy_ex`).
struct EVPDigest: @unchecked Sendable {
    /// Owns an `EVP_MD_CTX`. C: `EVP_MD_CTX_new` / `EVP_MD_CTX_free`.
    private final class Context {
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

    init(sha256: Void) { context = Context(EVP_sha256()) }
    init(md5: Void) { context = Context(EVP_md5()) }

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
