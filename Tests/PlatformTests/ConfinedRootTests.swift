import Platform
import SystemPackage
import Testing

@Suite struct ConfinedRootTests {
    /// root/ media/a.ismv, media/inside -> a.ismv, media/out -> <outside>/secret, media/up -> .., dangling -> <outside>/new
    /// and a sibling folder `root-old` whose name shares the root's prefix.
    private func layout() throws -> (Scratch, ConfinedRoot) {
        let scratch = try Scratch()
        _ = try scratch.file("root/media/a.ismv", [1])
        _ = try scratch.file("outside/secret", [2])
        _ = try scratch.file("root-old/x", [3])
        try scratch.symlink("root/media/inside", to: "a.ismv")
        try scratch.symlink("root/media/out", to: scratch.path.appending("outside/secret").string)
        try scratch.symlink("root/media/up", to: "..")
        try scratch.symlink("root/media/upup", to: "../..")
        try scratch.symlink("root/media/sibling", to: "../../root-old")
        try scratch.symlink("root/dangling", to: scratch.path.appending("outside/new").string)
        return (scratch, try ConfinedRoot(root: scratch.path.appending("root")))
    }

    @Test func resolvesPlainAndInsideSymlinks() throws {
        let (scratch, confined) = try layout()
        defer { scratch.cleanup() }
        let root = scratch.path.appending("root")
        #expect(try confined.resolve("media/a.ismv") == root.appending("media/a.ismv"))
        #expect(try confined.resolve("media/inside") == root.appending("media/a.ismv"))
        #expect(try confined.resolve("media/up/media/a.ismv") == root.appending("media/a.ismv"))
        // Missing files resolve (opening reports them), still confined.
        #expect(try confined.resolve("media/missing/deeper.ismv") == root.appending("media/missing/deeper.ismv"))
    }

    @Test(arguments: [
        "", "/etc/passwd", "..", "../outside/secret", "media/../../outside/secret", "media/./a.ismv", "media//a.ismv",
        ".hidden", "media/.git/config", "media/a.ismv/", "media/a\0.ismv", "media/out", "media/upup/outside/secret",
        "media/sibling/x", "dangling", "dangling/x",
    ])
    func refusesEscapes(_ relative: String) throws {
        let (scratch, confined) = try layout()
        defer { scratch.cleanup() }
        let error = #expect(throws: PlatformError.self) { try confined.resolve(relative) }
        #expect(error?.kind == .rejectedPath)
    }

    @Test func percentIsNotDecoded() throws {
        let (scratch, confined) = try layout()
        defer { scratch.cleanup() }
        #expect(try confined.resolve("%2e%2e/outside") == scratch.path.appending("root/%2e%2e/outside"))
        #expect(try confined.resolve("media%2F..%2F..") == scratch.path.appending("root/media%2F..%2F.."))
    }

    @Test func insideComparesComponentsNotStrings() {
        #expect(ConfinedRoot.isInside(FilePath("/srv/media/a"), root: FilePath("/srv/media")))
        #expect(ConfinedRoot.isInside(FilePath("/srv/media"), root: FilePath("/srv/media")))
        #expect(!ConfinedRoot.isInside(FilePath("/srv/media-old/a"), root: FilePath("/srv/media")))
        #expect(!ConfinedRoot.isInside(FilePath("/srv"), root: FilePath("/srv/media")))
    }
}
