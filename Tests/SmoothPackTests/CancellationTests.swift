import Foundation
import SmoothPack
import TestSupport
import Testing

@Suite struct CancellationTests {
    /// `package` runs on a dedicated thread through the platform's Blocking.run; a cancelled task reaches the job,
    /// which stops before its first file and leaves nothing under the output folder.
    @Test func cancelledPackageThrowsAndLeavesNothing() async throws {
        let (_, presentations) = try await EncodedTestMedia.shared.get()
        let p = try #require(presentations.first)
        let files = p.renditions.map { p.directory.appendingPathComponent($0.file) }
        let out = try TestPaths.temporaryDirectory("cancelled-package")
        defer { try? FileManager.default.removeItem(at: out) }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await Packager(profile: .named("fast")).package(files: files, into: out, name: "cancelled")
        }
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("cancelled").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
