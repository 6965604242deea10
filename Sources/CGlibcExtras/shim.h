// glibc functions Swift's Glibc module does not export: the allocator's settings (mallopt, malloc_trim) and
// sync_file_range. Part of the C library: nothing to link.
#ifndef CGLIBCEXTRAS_SHIM_H
#define CGLIBCEXTRAS_SHIM_H
#if defined(__linux__)
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif
#include <unistd.h>
#include <sys/syscall.h>

/// Starts writing back [offset, offset + count) of `fd` to the disk without waiting for it:
/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE (2 in the kernel's ABI), called through syscall(2) because
/// glibc declares the wrapper only under _GNU_SOURCE. Returns 0, or -1 with errno set.
static inline long glibc_extras_start_writeback(int fd, long long offset, long long count) {
    return syscall(SYS_sync_file_range, fd, offset, count, 2U);
}
#endif
#endif
