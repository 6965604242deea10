internal import CCrypto

/// OpenSSL's libcrypto, initialised once, before its first use, without the clean-up it would otherwise
/// register to run at `exit`.
///
/// Why: OpenSSL 3 frees its global state from an `atexit` handler (`OPENSSL_cleanup`), and every thread that
/// used it (ours hash on threads of their own) frees its per-thread state from a thread-exit destructor that
/// reads that global state. A program that exits while such a thread is still ending runs both at once: a
/// use after free inside OpenSSL. CI saw it once, in `smoothpack encode` of a folder whose only file was refused:
/// the job thread that had hashed the file was ending (`malloc_consolidate(): invalid chunk size`) while the
/// main queue's thread, in `exit`, was in the clean-up's first call. Without the handler there is nothing to
/// race; the system reclaims the memory at exit anyway. It must come before any other OpenSSL call in the
/// process (OpenSSL decides once, on its first initialisation): `smoothpack` calls ``prepare()`` first thing,
/// and a program that embeds the library and uses OpenSSL itself (or through libcurl) should do the same, or
/// it keeps OpenSSL's default.
public enum CryptoLibrary {
    private static let initialised: Bool = ccrypto_init_without_atexit() == 1

    /// Initialises OpenSSL if this process has not yet (cheap after the first call). Called before every
    /// digest and cipher context is made.
    public static func prepare() {
        precondition(initialised, "OpenSSL's libcrypto failed to initialise")
    }
}
