import Platform
import SystemPackage
import Testing

@Suite struct ReadableFileTests {
    @Test func readsExactRanges() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        let file = try ReadableFile(try scratch.file("a.bin", bytes))
        #expect(file.size == 1000)
        #expect(try file.read(at: 0, count: 1000) == bytes)
        #expect(try file.read(at: 990, count: 10) == Array(bytes[990...]))
        #expect(try file.read(at: 1000, count: 0) == [])
        #expect(try file.read(at: 17, count: 3) == Array(bytes[17..<20]))
    }

    @Test(arguments: [(-1, 1), (0, 1001), (1000, 1), (999, 2), (Int64.max, 1), (0, -1), (1, Int.max)] as [(Int64, Int)])
    func refusesOutOfBoundsBeforeAllocating(offset: Int64, count: Int) throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let file = try ReadableFile(try scratch.file("a.bin", [UInt8](repeating: 7, count: 1000)))
        let error = #expect(throws: PlatformError.self) { try file.read(at: offset, count: count) }
        #expect(error?.kind == .outOfBounds)
        #expect(error?.function == "pread")
    }

    @Test func memorySourceHasTheSameBounds() throws {
        let source = MemorySource([1, 2, 3])
        #expect(try source.read(at: 1, count: 2) == [2, 3])
        let error = #expect(throws: PlatformError.self) { try source.read(at: 2, count: 2) }
        #expect(error?.kind == .outOfBounds)
    }

    @Test func missingFileNamesOpenAndThePath() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let missing = scratch.path.appending("nope.bin")
        let error = #expect(throws: PlatformError.self) { try ReadableFile(missing) }
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.description == "open(\(missing.string)) failed: No such file or directory")
    }

    @Test func directoryIsNotARegularFile() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let error = #expect(throws: PlatformError.self) { try ReadableFile(scratch.path) }
        #expect(error?.kind == .notRegularFile)
    }

    @Test func readAfterCloseThrowsClosed() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let file = try ReadableFile(try scratch.file("a.bin", [1, 2, 3]))
        file.close()
        file.close()
        let error = #expect(throws: PlatformError.self) { try file.read(at: 0, count: 1) }
        #expect(error?.kind == .closed)
    }

    @Test func statusReportsKinds() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let f = try scratch.file("f", [1, 2, 3, 4])
        try scratch.symlink("link", to: "f")
        let st = try FileSystem.status(f)
        #expect(st.isRegularFile && !st.isDirectory && !st.isSymlink && st.size == 4)
        #expect(try FileSystem.status(scratch.path).isDirectory)
        #expect(try FileSystem.status(scratch.path.appending("link"), followSymlinks: false).isSymlink)
        #expect(try FileSystem.status(scratch.path.appending("link")).isRegularFile)
        #expect(try FileSystem.realPath(scratch.path.appending("link")) == f)
    }

    /// Reads racing a close either return the right bytes or throw `.closed`: never EBADF, never another file's
    /// bytes through a reused descriptor.
    @Test func readsRacingCloseAreRightOrClosed() async throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let bytes = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let file = try ReadableFile(try scratch.file("c.bin", bytes))
        let outcomes = try await withThrowingTaskGroup(of: (ok: Int, closed: Int).self) { group in
            for t in 0..<4 {
                group.addTask {
                    var ok = 0
                    for i in 0..<2000 {
                        let offset = (t * 997 + i * 131) % 60000
                        do {
                            let got = try file.read(at: Int64(offset), count: 4096)
                            #expect(got[...] == bytes[offset..<(offset + 4096)])
                            ok += 1
                        } catch let error as PlatformError {
                            #expect(error.kind == .closed)
                            return (ok, 1)
                        }
                    }
                    return (ok, 0)
                }
            }
            group.addTask {
                await Task.yield()
                file.close()
                return (0, 0)
            }
            return try await group.reduce(into: [(ok: Int, closed: Int)]()) { $0.append($1) }
        }
        #expect(outcomes.count == 5)
        #expect(throws: PlatformError.self) { try file.read(at: 0, count: 1) }
    }
}
