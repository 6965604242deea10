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
    /// once freed); with the setting, a 6 MiB block still gets its own mapping.
    @Test(.enabled(if: glibcAllocator, "glibc's allocator (not a sanitizer's)"))
    func largeBlocksKeepTheirOwnMappingAfterALargerFree() throws {
        #expect(ProcessMemory.mapLargeBlocks(atLeast: 4 << 20))
        let big = try #require(malloc(24 << 20))
        free(big)
        let block = try #require(malloc(6 << 20))
        defer { free(block) }
        #expect(Self.isMapped(block))
        let small = try #require(malloc(64 << 10))
        defer { free(small) }
        #expect(!Self.isMapped(small))
    }
}
#endif
