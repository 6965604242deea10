#if os(Linux)
internal import CGlibcExtras
#endif

/// Process-wide allocator settings and housekeeping. Only a program's entry point changes the settings;
/// libraries never do. ``returnFreedPages()`` changes nothing and any stage may call it.
public enum ProcessMemory {
    /// Asks glibc to give every block of `bytes` or more its own mapping, handed back to the system when it is
    /// freed. By default glibc raises that threshold to the largest block freed so far (up to 32 MiB); blocks
    /// below it then come from the heap and, once freed, stay in the resident set. Packaging a 2-hour source
    /// peaked at 1.65x the RSS of a 10-minute one that way; with 4 MiB, 1.22x, most of the rest being
    /// libavformat's sample index of the source (docs/benchmarks.md). Setting it also stops the automatic
    /// raising. Returns whether the allocator took it (false where there is no glibc).
    @discardableResult
    public static func mapLargeBlocks(atLeast bytes: Int32 = 4 << 20) -> Bool {
        #if os(Linux)
        return mallopt(M_MMAP_THRESHOLD, bytes) == 1
        #else
        return false
        #endif
    }

    /// Hands the whole free pages inside glibc's heaps back to the system (C: `malloc_trim(0)`), after a stage
    /// freed a large short-lived structure made of blocks under the mapping threshold: they would otherwise stay
    /// in the resident set while the next stage allocates elsewhere. Costs a walk of the heaps' free lists.
    /// Returns whether any memory was released.
    @discardableResult
    public static func returnFreedPages() -> Bool {
        #if os(Linux)
        return malloc_trim(0) == 1
        #else
        return false
        #endif
    }
}
