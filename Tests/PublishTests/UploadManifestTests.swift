internal import Platform
import Foundation
import SmoothManifest
@testable import Publish
import TestSupport
import Testing

@Suite struct UploadManifestTests {
    /// A presentation folder: the §4.6 manifests, fake media of a few sizes, a nested file, a hidden
    /// file and a previous upload-manifest.json (both skipped).
    func makeFolder() throws -> URL {
        let dir = try makeTemporaryDirectory()
        let built = try Example46.build()
        for (name, contents) in built.files { try Data(contents).write(to: dir.appendingPathComponent(name)) }
        var rng = SplitMix64(state: 99)
        let media = [("presentation_v3000k.ismv", 2_500_000), ("presentation_v800k.ismv", 1_048_576),
                     ("presentation_v1800k.ismv", 1_048_577), ("presentation_a128k.isma", 0)]
        for (name, size) in media {
            try Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: dir.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("thumbs"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: dir.appendingPathComponent("thumbs/index.json"))
        try Data("x".utf8).write(to: dir.appendingPathComponent(".DS_Store"))
        try Data("{}".utf8).write(to: dir.appendingPathComponent(UploadManifest.fileName))
        return dir
    }

    @Test func orderingTypesAndChecksums() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = try UploadManifest.build(folder: dir, presentation: "presentation", prefix: "presentation/abc123")
        #expect(m.version == 1)
        #expect(m.prefix == "presentation/abc123/")
        #expect(m.manifestPath == "presentation/abc123/presentation.ism/Manifest")
        #expect(m.objects.map(\.key) == [
            "presentation/abc123/presentation_a128k.isma",
            "presentation/abc123/presentation_v1800k.ismv",
            "presentation/abc123/presentation_v3000k.ismv",
            "presentation/abc123/presentation_v800k.ismv",
            "presentation/abc123/thumbs/index.json",
            "presentation/abc123/presentation.ismc",
            "presentation/abc123/presentation.ism",
        ])
        #expect(m.objects.map(\.contentType) == ["audio/mp4", "video/mp4", "video/mp4", "video/mp4", "application/json",
                                                 "text/xml", "text/xml"])
        #expect(m.objects.allSatisfy { $0.cacheControl == "public, max-age=31536000, immutable" })
        for o in m.objects {
            let path = dir.appendingPathComponent(String(o.key.dropFirst(m.prefix.count))).path
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.size] as? NSNumber)?.int64Value == o.size)
            let sha = try run(["sha256sum", path])
            #expect(sha.stdout.split(separator: " ").first.map(String.init) == o.sha256)
            // `md5sum | xxd -r -p | base64`, with the hex → bytes step done here.
            let md5 = try run(["md5sum", path])
            let hex = md5.stdout.split(separator: " ").first.map(String.init) ?? ""
            let b64 = try run(["base64"], input: Data(Hex.decode(hex) ?? []))
            #expect(b64.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == o.md5)
        }
    }

    @Test func stableSortedPrettyJSON() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try UploadManifest.build(folder: dir, presentation: "presentation", prefix: "presentation/v1/").jsonData()
        let b = try UploadManifest.build(folder: dir, presentation: "presentation", prefix: "presentation/v1/").jsonData()
        #expect(a == b)
        let text = String(decoding: a, as: UTF8.self)
        #expect(text.hasPrefix("{\n  \"manifestPath\" : \"presentation/v1/presentation.ism/Manifest\",\n  \"objects\" : [\n    {\n      \"cacheControl\""))
        #expect(text.hasSuffix("\"version\" : 1\n}\n"))
        #expect(try JSONDecoder().decode(UploadManifest.self, from: a) ==
            (try UploadManifest.build(folder: dir, presentation: "presentation", prefix: "presentation/v1/")))
    }

    @Test func symbolicLinksAreRefused() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("loop").path, withDestinationPath: dir.path)
        #expect { try UploadManifest.build(folder: dir, presentation: "presentation", prefix: "p/") } throws: {
            ($0 as? ManifestError)?.code == .fileSystem
        }
    }

    @Test func missingFolderThrowsTypedError() {
        #expect(throws: ManifestError.self) {
            try UploadManifest.build(folder: URL(fileURLWithPath: "/nonexistent/\(UUID())"), presentation: "p", prefix: "p/v/")
        }
    }

    /// The generated manifest validates against docs/upload-manifest.schema.json (python3 + jsonschema),
    /// and broken variants do not. Fails, not skips, when the validator is missing.
    @Test func validatesAgainstTheJSONSchema() throws {
        let schema = repositoryRoot.appendingPathComponent("docs/upload-manifest.schema.json")
        #expect(FileManager.default.fileExists(atPath: schema.path), "missing \(schema.path)")
        let probe = try run(["python3", "-c", "import jsonschema"])
        try #require(probe.status == 0, """
            python3 with the jsonschema module is required for this test: \(probe.stderr)
            Install it with `pip install jsonschema` (or `apt-get install python3-jsonschema`).
            """)
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try UploadManifest.build(folder: dir, presentation: "presentation", prefix: "presentation/v1/")
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.Draft202012Validator(schema).validate(json.load(sys.stdin))
            """
        func validate(_ m: UploadManifest) throws -> (status: Int32, stdout: String, stderr: String) {
            try run(["python3", "-c", script, schema.path], input: try m.jsonData())
        }
        let good = try validate(manifest)
        #expect(good.status == 0, "\(good.stderr)")
        var bad = manifest
        bad.objects[0].sha256 = String(bad.objects[0].sha256.uppercased())
        #expect(try validate(bad).status != 0)
        bad = manifest
        bad.objects[0].md5 = "not base64"
        #expect(try validate(bad).status != 0)
        bad = manifest
        bad.version = 2
        #expect(try validate(bad).status != 0)
    }
}
