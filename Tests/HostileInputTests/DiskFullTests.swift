import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Encoding onto a full disk: `<out>` is a 400 KiB tmpfs. The source that does not fit fails with one line and
/// leaves nothing; the one that fits is still made. Needs root (mount): reported as skipped otherwise; fails
/// if root cannot mount.
@Suite struct DiskFullTests {
    @Test(.enabled(if: geteuid() == 0, "needs root to mount a tmpfs"))
    func fullDiskFailsThatSourceCleanlyAndTheNextOneStillFits() throws {
        let corpus = try Corpus.directory.get()
        let work = try TestPaths.temporaryDirectory("diskfull")
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let mount = try Bounded.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", out.path], timeout: 30)
        try #require(mount.status == 0, "cannot mount a 400 KiB tmpfs on \(out.path): \(mount.summary)")
        defer { _ = try? Bounded.run(["umount", "-l", out.path], timeout: 30) }

        // 6 s of 640x360: the fast ladder's three rungs need about 1 MB. The 2 s 160x90 clip needs ~40 KB.
        let big = TestPaths.testMedia("bars-25fps-stereo.mp4")
        let small = corpus.appendingPathComponent("control-faststart.mp4").path
        let r = try Encode.run([big, small], out: out)
        Encode.expectSane(r, out: out, "disk full")
        #expect(r.status == 1, "disk full: \(r.summary)")
        let lines = r.errorLines
        #expect(lines.count == 1, "disk full: one line expected\n\(r.summary)")
        if let line = lines.first {
            #expect(line.hasPrefix("failed \(big): "), "the line names the source: \(line)")
            #expect(line.contains("No space left on device"), "the line says the disk is full: \(line)")
        }
        #expect(!Encode.hasStemFolder(out, stem: "bars-25fps-stereo"),
                "nothing of the failed source may stay: \(Encode.entries(out))")
        #expect(r.stdout.contains("created control-faststart.mp4 → "), "the small source still fits\n\(r.summary)")
        try Encode.expectPresentation(out: out, stem: "control-faststart", video: true, audio: true, sourceDuration: 2,
                                      label: "control-faststart.mp4 on the small disk")
    }
}
