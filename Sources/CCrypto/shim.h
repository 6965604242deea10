// OpenSSL's libcrypto, for SHA-256 and MD5 digests (EVP interface; SHA-NI accelerated where the CPU has it).
#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>

// OpenSSL's initialisation without its exit-time clean-up (see Platform's CryptoLibrary); 1 on success.
static inline int ccrypto_init_without_atexit(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}
#endif
