internal import CCrypto
internal import Platform

/// AES-128 through OpenSSL's EVP interface (`EVP_aes_128_ecb`, `EVP_aes_128_ctr`): ECB for single blocks
/// (the PlayReady KID checksum) and CTR for Common Encryption's `cenc` scheme (ISO/IEC 23001-7 §10.1,
/// docs/format.md §12). Each call owns its cipher context for the duration of the call, so the values are
/// freely Sendable and nothing is shared between threads.
public enum AES128 {
    /// Encrypts one 16-byte block with `key` (AES-128-ECB, no padding).
    public static func encryptBlock(_ block: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(block.count == 16 && key.count == 16, "AES-128 takes a 16-byte block and a 16-byte key")
        var out = [UInt8](repeating: 0, count: 32)
        withContext(EVP_aes_128_ecb(), key: key, iv: nil) { ctx in
            EVP_CIPHER_CTX_set_padding(ctx, 0)
            var written: Int32 = 0
            let ok = out.withUnsafeMutableBufferPointer { o in
                block.withUnsafeBufferPointer { i in EVP_EncryptUpdate(ctx, o.baseAddress, &written, i.baseAddress, 16) }
            }
            guard ok == 1, written == 16 else { preconditionFailure("EVP_EncryptUpdate (ECB) failed") }
        }
        return Array(out.prefix(16))
    }

    /// AES-128-CTR over the concatenation of `ranges` of `data`, in place: the keystream starts at the
    /// 16-byte counter block `iv` and runs on across the ranges (one sample's protected bytes form one
    /// stream, ISO/IEC 23001-7 §9.6.1). Encryption and decryption are the same operation.
    public static func ctr(_ data: inout [UInt8], ranges: [Range<Int>], key: [UInt8], iv: [UInt8]) {
        precondition(key.count == 16 && iv.count == 16, "AES-128-CTR takes a 16-byte key and counter block")
        guard ranges.contains(where: { !$0.isEmpty }) else { return }
        withContext(EVP_aes_128_ctr(), key: key, iv: iv) { ctx in
            data.withUnsafeMutableBufferPointer { buffer in
                for r in ranges where !r.isEmpty {
                    precondition(r.lowerBound >= 0 && r.upperBound <= buffer.count, "range outside the sample")
                    var written: Int32 = 0
                    // CTR is a stream mode: in-place updates are allowed and keep the keystream position.
                    var start = r.lowerBound
                    while start < r.upperBound {
                        let n = Int32(min(r.upperBound - start, 1 << 30))
                        let p = buffer.baseAddress! + start
                        guard EVP_EncryptUpdate(ctx, p, &written, p, n) == 1, written == n else {
                            preconditionFailure("EVP_EncryptUpdate (CTR) failed")
                        }
                        start += Int(n)
                    }
                }
            }
        }
    }

    private static func withContext(_ cipher: @autoclosure () -> OpaquePointer?, key: [UInt8], iv: [UInt8]?,
                                    _ body: (OpaquePointer) -> Void) {
        CryptoLibrary.prepare()
        // Allocation or initialisation fails only when out of memory or when OpenSSL lacks AES, neither of
        // which a caller could handle.
        guard let ctx = EVP_CIPHER_CTX_new() else { preconditionFailure("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let ok = key.withUnsafeBufferPointer { k in
            if let iv { return iv.withUnsafeBufferPointer { v in EVP_EncryptInit_ex(ctx, cipher(), nil, k.baseAddress, v.baseAddress) } }
            return EVP_EncryptInit_ex(ctx, cipher(), nil, k.baseAddress, nil)
        }
        guard ok == 1 else { preconditionFailure("EVP_EncryptInit_ex failed") }
        body(ctx)
    }
}
