// OpenSSL's libcrypto, for SHA-256 and MD5 digests (EVP interface; SHA-NI accelerated where the CPU has it).
#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
