import Foundation
import TestSupport
import Testing

/// A presentation is on the disk before it is visible under its published name: every file of the published
/// folder, and the work folder itself, were `fsync`ed before the work folder was renamed into place. Otherwise
/// a crash right after the rename leaves a complete-looking version (its upload manifest is written, and synced,
/// last) over media still only in the page cache: truncated files under a name that a later run takes as
/// published. Seen from outside, by `strace`, on the real command.
@Suite struct DurabilityTests {
    @Test(arguments: ["package", "encode"]) func everyFileIsSyncedBeforeTheFolderIsRenamedIntoPlace(command: String) throws {
        let out = try TestPaths.temporaryDirectory("durable-\(command)")
        defer { try? FileManager.default.removeItem(at: out) }
        let log = out.appendingPathComponent("strace.log").path
        var arguments = ["strace", "-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", "-o", log,
                         try TestPaths.smoothpackBinary, command, TestPaths.testMedia("bars-25fps-stereo.mp4"),
                         "--out", out.appendingPathComponent("out").path]
        // package names the presentation; encode takes the source's name.
        let stem = command == "package" ? "bars" : "bars-25fps-stereo"
        arguments += command == "package" ? ["--name", stem] : ["--profile", "fast"]
        let run = try External.run(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        try #require(run.status == 0)

        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        // rename("<out>/.tmp-…", "<out>/<stem>/<version>") = 0
        let renames = calls.enumerated().compactMap { i, line -> (index: Int, from: String, to: String)? in
            let quoted = line.split(separator: "\"", omittingEmptySubsequences: false)
            guard line.contains("rename"), quoted.count >= 5, line.hasSuffix("= 0") else { return nil }
            let from = String(quoted[1]), to = String(quoted[3])
            guard (from as NSString).lastPathComponent.hasPrefix(".tmp-"), to.contains("/\(stem)/") else { return nil }
            return (i, from, to)
        }
        let publish = try #require(renames.first, "no rename of a work folder into <out>/\(stem)/: \(calls.suffix(5))")
        #expect(renames.count == 1)
        // fsync(7</path>) = 0, before the rename.
        let synced = Set(calls[..<publish.index].compactMap { line -> String? in
            guard line.contains("fsync("), line.hasSuffix("= 0"),
                  let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">"), open < close else { return nil }
            return String(line[line.index(after: open)..<close])
        })
        let published = URL(fileURLWithPath: publish.to)
        let files = try #require(FileManager.default.enumerator(atPath: published.path)).compactMap { $0 as? String }
        #expect(files.contains { $0.hasSuffix(".ismv") } && files.contains { $0.hasSuffix(".isma") })
        let unsynced = files.filter { !synced.contains(publish.from + "/" + $0) }
        #expect(unsynced.isEmpty, "not synced before the rename: \(unsynced.sorted())")
        let folderSynced = synced.contains(publish.from)
        #expect(folderSynced, "the work folder was not synced before the rename")
        // `--out` did not exist: the folder that now holds it is synced too, or the whole tree could vanish.
        let holderSynced = synced.contains(out.path)
        #expect(holderSynced, "the folder holding the new output folder was not synced")

        // A run stopped right after the rename has written neither the policy files nor, perhaps, made the rename
        // durable: the next run that finds the version takes it up, syncs it and writes what is missing.
        let root = out.appendingPathComponent("out")
        for name in ["clientaccesspolicy.xml", "crossdomain.xml"] {
            try FileManager.default.removeItem(at: root.appendingPathComponent(name))
        }
        let again = try External.run(arguments)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("up to date"), "\(again.stdout)")
        for name in ["clientaccesspolicy.xml", "crossdomain.xml"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path), "\(name) not rewritten")
        }
        let resynced = Set(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            guard line.contains("fsync("), line.hasSuffix("= 0"),
                  let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">"), open < close else { return nil }
            return String(line[line.index(after: open)..<close])
        })
        let notResynced = (files.map { publish.to + "/" + $0 } + [publish.to, root.appendingPathComponent(stem).path, root.path])
            .filter { !resynced.contains($0) }
        #expect(notResynced.isEmpty, "not synced when taken up again: \(notResynced.sorted())")
    }
}
