// glibc's allocator settings (mallopt), which Swift's Glibc module does not export. Part of the C library:
// nothing to link.
#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
#if defined(__linux__) && __has_include(<malloc.h>)
#include <malloc.h>
#endif
#endif
