#if os(Linux)
import Glibc
import Platform
import Testing

@Suite struct ProcessMemoryTests {
    /// Under AddressSanitizer or ThreadSanitizer (scripts/sanitize) their allocator replaces glibc's.
    static let glibcAllocator = dlsym(nil, "__asan_init") == nil && dlsym(nil, "__tsan_init") == nil

    /// glibc marks a chunk that has its own mapping with bit 1 (IS_MMAPPED) of the size word before it.
    static func isMapped(_ p: UnsafeMutableRawPointer) -> Bool {
        (p - MemoryLayout<Int>.size).load(as: Int.self) & 0x2 != 0
    }

    /// After a 24 MiB block is freed glibc would serve blocks up to 24 MiB from the heap (and keep them resident
    /// once freed); with the setting, a 6 MiB block still gets its own mapping. glibc maps a block only when its
    /// arena has no free chunk that fits, and in the test process other tests leave such chunks behind, so the
    /// check runs in a fresh process (an exit test), as the setting runs at the start of `smoothpack`.
    @Test(.enabled(if: glibcAllocator, "glibc's allocator (not a sanitizer's)"))
    func largeBlocksKeepTheirOwnMappingAfterALargerFree() async {
        await #expect(processExitsWith: .exitCode(0)) {
            guard ProcessMemory.mapLargeBlocks(atLeast: 4 << 20) else { exit(2) }
            guard let big = malloc(24 << 20) else { exit(3) }
            free(big)
            guard let block = malloc(6 << 20), let small = malloc(64 << 10) else { exit(3) }
            let mapped = ProcessMemoryTests.isMapped(block), smallMapped = ProcessMemoryTests.isMapped(small)
            free(block)
            free(small)
            exit(mapped && !smallMapped ? 0 : 1)
        }
    }

    /// The same sequence without the setting: glibc's raised threshold keeps the 6 MiB block on the heap. Shows
    /// the check above can fail.
    @Test(.enabled(if: glibcAllocator, "glibc's allocator (not a sanitizer's)"))
    func withoutTheSettingTheBlockComesFromTheHeap() async {
        await #expect(processExitsWith: .exitCode(0)) {
            guard let big = malloc(24 << 20) else { exit(3) }
            free(big)
            guard let block = malloc(6 << 20) else { exit(3) }
            let mapped = ProcessMemoryTests.isMapped(block)
            free(block)
            exit(mapped ? 1 : 0)
        }
    }
}
#endif
