import ISOBMFF
import MediaCore
import Testing

/// Text dumps of whole small files, compared with `Golden/`.
@Suite struct GoldenDumpTests {
    @Test func ismvTwoGopsWithBFrames() throws {
        try assertGolden(BoxDump.render(MemorySource(try Synthetic.ismv(frames: 14, gop: 7).bytes)), "ismv-2gops")
    }

    @Test func ismaThreeFragments() throws {
        try assertGolden(
            BoxDump.render(MemorySource(try Synthetic.isma(frames: 7, perFragment: 3).bytes)), "isma-3frags")
    }

    @Test func jsonDump() throws {
        let tree = try BoxDump.tree(of: try Synthetic.isma(frames: 2, perFragment: 2).bytes)
        try assertGolden(BoxDump.json(tree), "isma-json")
    }
}
