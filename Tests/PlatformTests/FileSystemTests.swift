import Foundation
import Platform
import SystemPackage
import Testing

@Suite struct FileSystemTests {
    @Test func atomicWriteCreatesAndReplacesLeavingNoTemporaries() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let target = scratch.path.appending("out.json")
        try FileSystem.atomicWrite(Array("first".utf8), to: target)
        #expect(try ReadableFile(target).read(at: 0, count: 5) == Array("first".utf8))
        try FileSystem.atomicWrite(Array("second!".utf8), to: target)
        let file = try ReadableFile(target)
        #expect(try file.read(at: 0, count: Int(file.size)) == Array("second!".utf8))
        #expect(try FileSystem.entries(of: scratch.path) == ["out.json"])
    }

    @Test func atomicWriteIntoMissingFolderThrowsAndLeavesNothing() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let error = #expect(throws: PlatformError.self) {
            try FileSystem.atomicWrite([1, 2, 3], to: scratch.path.appending("missing/out.bin"))
        }
        #expect(error?.function == "open")
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(try FileSystem.entries(of: scratch.path) == [])
    }

    @Test func appendFileAppendsAndReportsClosed() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let path = scratch.path.appending("log.jsonl")
        let log = try AppendFile(path)
        try log.append("one\n")
        try log.append(Array("two\n".utf8))
        try log.sync()
        try AppendFile(path).append("three\n")  // a second writer appends too, never overwrites
        try log.close()
        try log.close()
        let error = #expect(throws: PlatformError.self) { try log.append("four\n") }
        #expect(error?.kind == .closed)
        let file = try ReadableFile(path)
        #expect(String(decoding: try file.read(at: 0, count: Int(file.size)), as: UTF8.self) == "one\ntwo\nthree\n")
    }

    @Test func appendFileOpenFailureNamesOpen() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let error = #expect(throws: PlatformError.self) { try AppendFile(scratch.path.appending("no/such/log")) }
        #expect(error?.function == "open")
        #expect(error?.errno == .noSuchFileOrDirectory)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full"), "needs /dev/full (Linux)"))
    func appendFileWriteFailureThrows() throws {
        let full = try AppendFile(FilePath("/dev/full"))
        let error = #expect(throws: PlatformError.self) { try full.append("a line that cannot be written\n") }
        #expect(error?.function == "write")
        #expect(error?.errno == .noSpace)
    }

    @Test func walkIsSortedAndDoesNotFollowSymlinks() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        _ = try scratch.file("b.ismv", [1, 2])
        _ = try scratch.file("a/z.txt", [1])
        _ = try scratch.file("a/y/x.bin", [])
        _ = try scratch.file(".hidden", [9])
        _ = try scratch.directory("loop")
        try scratch.symlink("loop/back", to: "..")
        let entries = try FileSystem.walk(scratch.path)
        #expect(entries.map(\.relativePath) == ["a", "a/y", "a/y/x.bin", "a/z.txt", "b.ismv", "loop", "loop/back"])
        #expect(entries.map(\.kind) == [.directory, .directory, .file, .file, .file, .directory, .symlink])
        #expect(entries.first { $0.relativePath == "b.ismv" }?.size == 2)
        #expect(try FileSystem.walk(scratch.path, includeHidden: true).first?.relativePath == ".hidden")
    }

    @Test func syncTreeSyncsFilesAndFoldersButFollowsNoLinkAndOpensNoFIFO() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        _ = try scratch.file("work/a.ismv", [1, 2, 3])
        _ = try scratch.file("work/thumbs/0001.jpg", [4])
        try scratch.symlink("work/dangling", to: "no/such/file")  // following it would fail
        try scratch.symlink("work/loop", to: ".")                 // following it would never end
        // Opening a FIFO for reading waits for a writer: a sync that opened it would hang here.
        #expect(mkfifo(scratch.path.appending("work/pipe").string, 0o644) == 0)
        try FileSystem.syncTree(scratch.path.appending("work"))
        let error = #expect(throws: PlatformError.self) { try FileSystem.syncTree(scratch.path.appending("missing")) }
        #expect(error?.errno == .noSuchFileOrDirectory)
    }

    @Test func startWritebackIsHarmlessAndTheBytesStayAppended() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let path = scratch.path.appending("media.ismv")
        let file = try AppendFile(path, truncate: true)
        try file.append([UInt8](repeating: 7, count: 100_000))
        file.startWriteback(offset: 0, count: 100_000)
        file.startWriteback(offset: 50_000, count: 0)          // nothing to do
        file.startWriteback(offset: -1, count: 10)             // refused, not passed on
        try file.append([8])
        try file.sync()
        try file.close()
        file.startWriteback(offset: 0, count: 1)                // closed: nothing happens
        let read = try ReadableFile(path)
        #expect(read.size == 100_001)
        #expect(try read.read(at: 99_999, count: 2) == [7, 8])
    }

    @Test func moveFileWithinOneFileSystemRefusesToReplace() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let from = try scratch.file("inbox/clip.mp4", [1, 2, 3])
        _ = try scratch.directory("done")
        try FileSystem.moveFile(from, to: scratch.path.appending("done/clip.mp4"))
        #expect(!FileSystem.exists(from))
        #expect(try ReadableFile(scratch.path.appending("done/clip.mp4")).read(at: 0, count: 3) == [1, 2, 3])
        let again = try scratch.file("inbox/clip.mp4", [9])
        let error = #expect(throws: PlatformError.self) { try FileSystem.moveFile(again, to: scratch.path.appending("done/clip.mp4")) }
        #expect(error?.errno == .fileExists)
        #expect(FileSystem.exists(again))
        #expect(try ReadableFile(scratch.path.appending("done/clip.mp4")).size == 3)
    }

    /// A done/ or failed/ folder on another disk or mount: `rename` cannot go there (EXDEV). The file is copied,
    /// synced and renamed into place before the original is removed, with its permissions and modification time.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/shm"), "needs /dev/shm (a tmpfs on Linux)"))
    func moveFileAcrossFileSystemsCopiesThenRemoves() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let other = FilePath("/dev/shm/smoothpack-move-\(UInt32.random(in: 0...UInt32.max))")
        try FileSystem.makeDirectories(other)
        defer { try? FileSystem.removeTree(other) }
        try #require(try FileSystem.status(other).device != FileSystem.status(scratch.path).device,
                     "/dev/shm is on the scratch folder's file system here")
        let from = other.appending("source.mov")
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }  // more than one copy buffer
        try FileSystem.atomicWrite(bytes, to: from, permissions: [.ownerReadWrite, .groupRead])
        let before = try FileSystem.status(from)
        let to = scratch.path.appending("done/source.mov")
        try FileSystem.makeDirectories(to.removingLastComponent())
        try FileSystem.moveFile(from, to: to)
        #expect(!FileSystem.exists(from))
        let after = try FileSystem.status(to)
        #expect(after.size == Int64(bytes.count))
        #expect(after.modificationNanoseconds == before.modificationNanoseconds)
        #expect(try ReadableFile(to).read(at: 0, count: bytes.count) == bytes)
        var st = stat()
        #expect(stat(to.string, &st) == 0 && st.st_mode & 0o777 == 0o640)
        #expect(try FileSystem.entries(of: to.removingLastComponent()) == ["source.mov"])  // no temporary left
    }

    @Test func renameMakeDirectoriesRemoveTree() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let deep = scratch.path.appending("w/x/y")
        try FileSystem.makeDirectories(deep)
        try FileSystem.makeDirectories(deep)
        _ = try scratch.file("w/x/y/f", [1])
        try FileSystem.rename(scratch.path.appending("w"), to: scratch.path.appending("v"))
        #expect(try FileSystem.entries(of: scratch.path) == ["v"])
        try FileSystem.fsync(scratch.path.appending("v/x/y/f"))
        try FileSystem.fsync(scratch.path)
        try FileSystem.removeTree(scratch.path.appending("v"))
        try FileSystem.removeTree(scratch.path.appending("v"))  // missing is fine
        #expect(try FileSystem.entries(of: scratch.path) == [])
        let error = #expect(throws: PlatformError.self) {
            try FileSystem.rename(scratch.path.appending("nope"), to: scratch.path.appending("x"))
        }
        #expect(error?.function == "rename")
    }
}

@Suite struct LockFileTests {
    @Test func secondLockIsRefusedUntilTheFirstIsReleased() throws {
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        let path = scratch.path.appending("state.lock")
        var first = try LockFile(path)
        #expect(first != nil)
        #expect(try LockFile(path) == nil)
        first = nil
        #expect(try LockFile(path) != nil)
    }

    @Test func lockInMissingFolderNamesOpen() throws {
        let error = #expect(throws: PlatformError.self) { try LockFile(FilePath("/nonexistent/dir/x.lock")) }
        #expect(error?.function == "open")
    }
}
