import Foundation
import ISOBMFF
import Planning
import SmoothManifest
import Publish
import SmoothPack
import TestSupport
import Testing

@Suite(.serialized) struct EncodeEndToEndTests {
    @Test func everyPresentationAgreesWithItsFiles() async throws {
        let (out, presentations) = try await EncodedTestMedia.shared.get()
        #expect(presentations.count == TestPaths.allTestMedia.count)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("clientaccesspolicy.xml").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("crossdomain.xml").path))
        for p in presentations {
            #expect(p.status == .created)
            #expect(p.playbackPath == "\(p.prefix)\(p.name).ism/Manifest")
            let server = try ServerManifest(xml: Array(try Data(contentsOf: p.serverManifest)))
            let client = try ClientManifest(xml: Array(try Data(contentsOf: p.directory.appendingPathComponent("\(p.name).ismc"))))
            #expect(server.clientManifestRelativePath == "\(p.name).ismc")
            #expect(client.majorVersion == 2 && client.minorVersion == 0 && client.timeScale == 10_000_000)
            #expect(client.duration == client.streams.map(\.end).max())
            for stream in client.streams {
                #expect(stream.chunks.first?.time == 0)
                for (a, b) in zip(stream.chunks, stream.chunks.dropFirst()) { #expect(a.time + a.duration == b.time) }
                #expect(stream.url == "QualityLevels({bitrate})/Fragments(\(stream.name)={start time})")
                for level in stream.qualityLevels {
                    // The .ism names the file for this bitrate and track name; the file's tfra and tfxd
                    // times equal the manifest's c times.
                    let track = try #require(server.track(bitrate: level.bitrate, name: stream.name))
                    #expect(track.src.contains("_\(level.bitrate)."))
                    let path = p.directory.appendingPathComponent(track.src).path
                    #expect(IsmvChecker.check(path: path).isEmpty, "\(track.src): \(IsmvChecker.check(path: path))")
                    let file = try FileSource(path: path)
                    let index = try RandomAccessIndex.load(from: file)
                    let entries = try #require(index.table(trackID: UInt32(track.trackID))).entries
                    #expect(entries.map { Int64($0.time) } == stream.chunks.map(\.time))
                    for entry in entries {
                        let t = try tfxdTime(in: file, moofOffset: Int64(entry.moofOffset))
                        #expect(t == Int64(entry.time), "tfxd \(String(describing: t)) tfra \(entry.time) at \(entry.moofOffset)")
                    }
                    #expect(level.fourCC == (stream.type == .video ? "H264" : "AACL"))
                }
            }
            // Every file listed, media first, sizes and checksums equal to the bytes.
            let keys = p.uploadManifest.objects.map(\.key)
            #expect(keys.last == "\(p.prefix)\(p.name).ism")
            #expect(Set(keys.map { String($0.dropFirst(p.prefix.count)) })
                    == Set(try FileManager.default.contentsOfDirectory(atPath: p.directory.path)).subtracting(["upload-manifest.json", "report.html"]))
            for object in p.uploadManifest.objects {
                let path = out.appendingPathComponent(object.key).path
                let sha = try External.run(["sha256sum", path]).stdout.split(separator: " ").first.map(String.init)
                #expect(sha == object.sha256)
                let md5 = try External.run(["sh", "-c", "md5sum -b \"$0\" | cut -d' ' -f1 | xxd -r -p | base64", path]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(md5 == object.md5)
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
                #expect(size?.int64Value == object.size)
            }
        }
    }

    @Test func ffmpegDecodesEveryFileCompletely() async throws {
        let (_, presentations) = try await EncodedTestMedia.shared.get()
        for p in presentations {
            for r in p.renditions {
                let path = p.directory.appendingPathComponent(r.file).path
                let decode = try External.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
                #expect(decode.status == 0 && decode.stderr.isEmpty, "\(r.file): \(decode.stderr)")
                let json = try External.ffprobeJSON(["-count_frames", "-count_packets", "-show_streams", path])
                let stream = try #require((json["streams"] as? [[String: Any]])?.first)
                #expect(stream["codec_name"] as? String == (r.kind == .video ? "h264" : "aac"))
                // What went in is what comes out: the muxer's sample count and duration equal what
                // ffprobe counts and decodes.
                let index = try FragmentIndex.read(from: try FileSource(path: path))
                #expect(Int(stream["nb_read_packets"] as? String ?? "") == index.sampleCount, "\(r.file)")
                #expect(Int(stream["nb_read_frames"] as? String ?? "") == index.sampleCount, "\(r.file)")
                #expect(stream["duration_ts"] as? Int == Int(index.duration), "\(r.file)")
                if r.kind == .video {
                    #expect(stream["width"] as? Int == r.width)
                    #expect(stream["height"] as? Int == r.height)
                }
            }
        }
    }

    @Test func uploadManifestsValidateAgainstTheSchema() async throws {
        let (_, presentations) = try await EncodedTestMedia.shared.get()
        let schema = TestPaths.repositoryRoot.appendingPathComponent("docs/upload-manifest.schema.json").path
        for p in presentations {
            let manifest = p.directory.appendingPathComponent("upload-manifest.json").path
            let script = "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))"
            let result = try External.run(["python3", "-c", script, schema, manifest])
            #expect(result.status == 0, "\(manifest): \(result.stderr) (install with: pip install jsonschema)")
        }
    }

    @Test func aSecondRunIsANoOpAndAChangedProfileGetsANewVersion() async throws {
        let (out, presentations) = try await EncodedTestMedia.shared.get()
        let source = try #require(presentations.first).source
        let again = try await Packager(profile: .named("fast")).encode(source: source, into: out)
        #expect(again.status == .upToDate)
        #expect(again.version == presentations.first?.version)
        #expect(again.uploadManifest == presentations.first?.uploadManifest)

        var changed = try Profile.builtin("fast")
        changed.audio?.bitrate = 64_000
        let other = try await Packager(profile: .profile(changed)).encode(source: source, into: out)
        #expect(other.status == .created)
        #expect(other.version != again.version)
        let versions = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent(again.name).path)
        #expect(Set(versions) == [again.version, other.version])
    }

    @Test func packageRoundTripsTheRungsEncodeMade() async throws {
        let (_, presentations) = try await EncodedTestMedia.shared.get()
        let out = try TestPaths.temporaryDirectory("package")
        defer { try? FileManager.default.removeItem(at: out) }
        for p in presentations {
            let files = p.renditions.map { p.directory.appendingPathComponent($0.file) }
            let packaged = try await Packager(profile: .named("fast")).package(files: files, into: out, name: p.name)
            let original = try ClientManifest(xml: Array(try Data(contentsOf: p.directory.appendingPathComponent("\(p.name).ismc"))))
            let copy = try ClientManifest(xml: Array(try Data(contentsOf: packaged.directory.appendingPathComponent("\(p.name).ismc"))))
            #expect(original.streams.map(\.chunks) == copy.streams.map(\.chunks), "\(p.name)")
            #expect(original.streams.map { $0.qualityLevels.map(\.codecPrivateData) } == copy.streams.map { $0.qualityLevels.map(\.codecPrivateData) })
            // The media bytes themselves survive unchanged (only names may differ by bitrate).
            for (a, b) in zip(p.renditions.sorted { $0.bytes < $1.bytes }, packaged.renditions.sorted { $0.bytes < $1.bytes }) {
                let x = try Data(contentsOf: p.directory.appendingPathComponent(a.file))
                let y = try Data(contentsOf: packaged.directory.appendingPathComponent(b.file))
                #expect(x == y, "\(a.file) vs \(b.file)")
            }
        }
    }

    @Test func packageRefusesUnalignedKeyFrames() async throws {
        let (_, presentations) = try await EncodedTestMedia.shared.get()
        let pal = try #require(presentations.first { $0.name.hasPrefix("pal") })    // 25 fps, 5 s
        let film = try #require(presentations.first { $0.name.hasPrefix("film") })  // 23.976 fps
        let a = pal.directory.appendingPathComponent(try #require(pal.renditions.first { $0.kind == .video }).file)
        let b = film.directory.appendingPathComponent(try #require(film.renditions.first { $0.kind == .video }).file)
        let out = try TestPaths.temporaryDirectory("unaligned")
        defer { try? FileManager.default.removeItem(at: out) }
        await #expect(throws: PipelineError.self) {
            _ = try await Packager(profile: .named("fast")).package(files: [a, b], into: out, name: "mixed")
        }
        do {
            _ = try await Packager(profile: .named("fast")).package(files: [a, b], into: out, name: "mixed")
        } catch let error as PipelineError {
            #expect(error.source == b.path)
            #expect(error.message.contains("not aligned") && error.message.contains(" s "))
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("mixed").path))
    }

    @Test func manifestVersion22WritesRepeats() async throws {
        let out = try TestPaths.temporaryDirectory("v22")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = try await Packager(profile: .named("fast"), options: PackagerOptions(manifestVersion: .v2_2))
            .encode(source: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")), into: out)
        let text = try String(contentsOf: p.directory.appendingPathComponent("\(p.name).ismc"), encoding: .utf8)
        #expect(text.contains("MinorVersion=\"2\""))
        #expect(text.contains(" r=\"3\""))
    }
}
