import Foundation
import Platform
import Testing

/// `ChildProcess` runs a program to completion: output, errors and status, merged or apart; a program not on
/// PATH; a time limit; and many runs at once (the case where Foundation's `Process` once waited forever).
@Suite struct ChildProcessTests {
    @Test func outputErrorsAndStatusArriveApart() throws {
        let r = try ChildProcess.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(r.status == 3)
        #expect(String(decoding: r.output, as: UTF8.self) == "out\n")
        #expect(String(decoding: r.errors, as: UTF8.self) == "err\n")
        #expect(!r.timedOut)
    }

    @Test func mergedErrorsGoToTheOutput() throws {
        let r = try ChildProcess.run(["sh", "-c", "echo out; echo err >&2"], mergeErrors: true)
        #expect(r.status == 0)
        #expect(String(decoding: r.output, as: UTF8.self) == "out\nerr\n")
        #expect(r.errors.isEmpty)
    }

    @Test func moreThanAPipeFullIsRead() throws {
        // 1 MB on each stream: a reader that took one after the other would block the program.
        let r = try ChildProcess.run(["sh", "-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2"])
        #expect(r.status == 0 && r.output.count == 1_000_000 && r.errors.count == 1_000_000)
    }

    @Test func aProgramNotOnPathIsNotFound() {
        #expect(throws: PlatformError.self) { try ChildProcess.run(["smoothpack-no-such-program-\(UUID().uuidString)"]) }
        do {
            _ = try ChildProcess.run(["smoothpack-no-such-program-\(UUID().uuidString)"])
        } catch {
            #expect(error.isNotFound, "\(error)")
        }
    }

    /// The program gets no descriptor of ours but its three: a socket or file we close must not stay open
    /// in it (a client would wait for the FIN while a player runs).
    @Test func theProgramInheritsNoOtherDescriptor() throws {
        let fd = open("/dev/null", O_RDONLY)  // no close-on-exec
        try #require(fd >= 3)
        defer { close(fd) }
        let r = try ChildProcess.run(["sh", "-c", "ls /proc/self/fd"])
        let fds = String(decoding: r.output, as: UTF8.self).split(separator: "\n").compactMap { Int($0) }
        // 0, 1, 2 and the directory `ls` itself reads.
        #expect(!fds.contains(Int(fd)), "\(fds)")
        #expect(fds.count <= 4, "\(fds)")
    }

    @Test func theTimeLimitKillsTheProgram() throws {
        let r = try ChildProcess.run(["sleep", "60"], timeLimit: 0.2)
        #expect(r.timedOut)
        #expect(r.status == 128 + 9)
    }

    @Test func manyRunsAtOnceAllReturn() async throws {
        let statuses = try await withThrowingTaskGroup(of: [Int32].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try (0..<10).map { i in try ChildProcess.run(["sh", "-c", "exit \(i)"]).status }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(statuses.count == 80)
        #expect(statuses.sorted() == (0..<10).flatMap { Array(repeating: Int32($0), count: 8) })
    }
}
