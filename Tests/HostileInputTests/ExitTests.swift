import Foundation
import Testing
import TestSupport

/// The end of a run: nothing a library registered for `exit` may race the threads still ending then.
@Suite struct ExitTests {
    /// OpenSSL 3 registers `OPENSSL_cleanup` with `atexit` unless told not to on its first initialisation; that
    /// clean-up frees the global state a thread that used OpenSSL reads from its thread-exit destructor, and CI
    /// once crashed there (`malloc_consolidate(): invalid chunk size` after a refused folder: the job thread
    /// that had hashed the file was ending while `exit` ran the clean-up). `smoothpack` initialises OpenSSL
    /// without it (Platform's `CryptoLibrary`). The race itself is too rare to catch; what this checks is its
    /// cause: under `gdb`, a breakpoint on `OPENSSL_cleanup` is never reached by a run that hashed a file on a
    /// job thread and then exited. Fails without the fix (the breakpoint is hit as `exit` runs its handlers).
    @Test func exitRunsNoOpenSSLCleanupThatRacesEndingThreads() throws {
        let corpus = try Corpus.directory.get()
        let work = try TestPaths.temporaryDirectory("exit")
        defer { try? FileManager.default.removeItem(at: work) }
        let folder = work.appendingPathComponent("inbox")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: corpus.appendingPathComponent("random-bytes.mp4"),
                                         to: folder.appendingPathComponent("random-bytes.mp4"))
        let binary = try TestPaths.smoothpackBinary
        let log = work.appendingPathComponent("gdb.txt"), commands = work.appendingPathComponent("commands.gdb")
        // The first breakpoint is the control: OpenSSL is initialised (it counts its hits and lets the program go
        // on); the second must resolve to OPENSSL_cleanup and never be hit. `info breakpoints` after the run shows
        // both, with their addresses and hit counts.
        try """
            set breakpoint pending on
            break OPENSSL_init_crypto
            commands
            silent
            continue
            end
            break OPENSSL_cleanup
            run
            info breakpoints

            """.write(to: commands, atomically: true, encoding: .utf8)
        // gdb runs under coreutils' `timeout` with its output in a file: started directly by the test process, it
        // left the program stopped at its first trap and waited forever (seen here, cause not found; under
        // `timeout`, which puts it in a process group of its own, it ends at once). --readnever: only the
        // libraries' exported symbols are needed, and reading a debug build's debug information takes longer.
        let r = try Bounded.run(
            ["sh", "-c", "log=$1; shift; exec \"$@\" > \"$log\" 2>&1", "sh", log.path,
             "timeout", "100", "gdb", "-batch", "-nx", "--readnever", "-x", commands.path,
             "--args", binary, "encode", folder.path, "--out", work.appendingPathComponent("out").path,
             "--profile", "fast", "--jobs", "1"],
            timeout: 120)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(r.status == 0, "gdb itself failed (scripts/bootstrap installs it): \(r.summary)\n\(output)")
        #expect(output.contains("random-bytes.mp4: hashing"), "the run did not hash the file: \(output)")
        #expect(output.contains("exited with code 01"), "the run did not end with exit 1: \(output)")
        let lines = output.split(separator: "\n").map(String.init)
        func hitLine(after symbol: String) -> String? {
            guard let i = lines.firstIndex(where: { $0.contains("<\(symbol)") }) else { return nil }
            return i + 1 < lines.count ? lines[i + 1] : ""
        }
        let control = hitLine(after: "OPENSSL_init_crypto")
        #expect(control?.contains("breakpoint already hit") == true, "OpenSSL was never initialised: \(output)")
        let cleanup = hitLine(after: "OPENSSL_cleanup")
        #expect(cleanup != nil, "the breakpoint on OPENSSL_cleanup never resolved: \(output)")
        #expect(cleanup?.contains("already hit") == false, "exit ran OpenSSL's clean-up: \(output)")
    }
}
