import Foundation
import ISOBMFF
import MediaCore
import Origin
import Platform
import Protection
import SmoothManifest
import SmoothPack
import TestSupport
import Testing

/// The static FFmpeg of the PyPI wheel `imageio-ffmpeg` (scripts/bootstrap): it decrypts fragmented CENC
/// with subsamples (Debian 12's FFmpeg 5.1 cannot).
func staticFFmpeg() throws -> String {
    let r = try External.run(["python3", "-c", "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"])
    let path = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    guard r.status == 0, !path.isEmpty else {
        throw TestFailure("imageio-ffmpeg is missing (scripts/bootstrap installs it): \(r.stderr)")
    }
    return path
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Encrypt a testmedia presentation, decrypt it with an independent CENC implementation (FFmpeg's), and
/// compare every decoded video frame and audio frame (framemd5) with the clear files of the same encode.
@Suite(.serialized) struct EncryptedRoundTripTests {
    static let videoKey = "11223344556677889900aabbccddeeff:0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    static let audioKey = "8ba94ade-6eb9-449d-b44f-a5beefaf43b0:dbfd6922c321c4bb486f4a1c44097ed6"

    @Test func packageEncryptsAndFFmpegDecryptsBitExactly() async throws {
        let ffmpeg = try staticFFmpeg()
        let out = try TestPaths.temporaryDirectory("cenc")
        defer { try? FileManager.default.removeItem(at: out) }
        let clear = try await Packager(profile: .named("fast"))
            .encode(source: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")), into: out.appendingPathComponent("clear"))
        var options = PackagerOptions()
        let settings = try ProtectionSettings(keyArguments: [Self.videoKey, Self.audioKey], licenseURL: "https://lic.example/pr?a=1&b=2")
        options.protection = settings
        let files = clear.renditions.map { clear.directory.appendingPathComponent($0.file) }
        let protected = try await Packager(profile: .named("fast"), options: options)
            .package(files: files, into: out.appendingPathComponent("cenc"), name: clear.name)
        #expect(protected.keyIDs == ["11223344-5566-7788-9900-aabbccddeeff", "8ba94ade-6eb9-449d-b44f-a5beefaf43b0"])
        #expect(protected.notes.count == 1)

        for (a, b) in zip(clear.renditions.sorted { $0.bytes < $1.bytes }, protected.renditions.sorted { $0.bytes < $1.bytes }) {
            let video = a.kind == .video
            let key = String((video ? Self.videoKey : Self.audioKey).split(separator: ":")[1])
            let clearPath = clear.directory.appendingPathComponent(a.file).path
            let encPath = protected.directory.appendingPathComponent(b.file).path
            // Really encrypted: the media bytes differ, and FFmpeg without the key does not decode the same.
            let differ = try Data(contentsOf: URL(fileURLWithPath: clearPath)) != Data(contentsOf: URL(fileURLWithPath: encPath))
            #expect(differ)
            let reference = try External.run([ffmpeg, "-v", "error", "-i", clearPath, "-map", "0", "-f", "framemd5", "-"])
            let decrypted = try External.run([ffmpeg, "-v", "error", "-decryption_key", key, "-i", encPath,
                                              "-map", "0", "-f", "framemd5", "-"])
            #expect(reference.status == 0 && decrypted.status == 0, "\(decrypted.stderr)")
            let frames = reference.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(frames.count > 10)
            let same = frames == decrypted.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(same, "\(b.file): decrypted frames differ from the clear encode")
            // Our checker passes the encrypted file (subsample maps add up, saio points into senc, IDR seen).
            #expect(IsmvChecker.check(path: encPath).isEmpty, "\(IsmvChecker.check(path: encPath))")
            let entry = try MovieReader.tracks(in: try FileSource(path: encPath))
            #expect(entry.first?.codec != nil)
        }

        // Signalling: .ismc Protection with the PlayReady Object, MPD ContentProtection, no HLS.
        let dir = protected.directory
        let ismc = try String(contentsOf: dir.appendingPathComponent("\(protected.name).ismc"), encoding: .utf8)
        #expect(ismc.contains(#"<ProtectionHeader SystemID="9A04F079-9840-4286-AB92-E65BE0885F95">"#))
        let pro = try settings.playReadyObject()
        #expect(ismc.contains(Data(pro).base64EncodedString()))
        #expect(try ClientManifest(xml: Array(ismc.utf8)).streams.count == 2)
        let mpd = try String(contentsOf: dir.appendingPathComponent("\(protected.name).mpd"), encoding: .utf8)
        #expect(mpd.contains(#"cenc:default_KID="11223344-5566-7788-9900-aabbccddeeff""#))
        #expect(mpd.contains(#"cenc:default_KID="8ba94ade-6eb9-449d-b44f-a5beefaf43b0""#))
        #expect(mpd.contains("urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95"))
        #expect(mpd.contains("urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!names.contains { $0.hasSuffix(".m3u8") })

        // No key, in hex or base64, in any text file written.
        let secrets = [Self.videoKey, Self.audioKey].flatMap { arg -> [String] in
            let hex = String(arg.split(separator: ":")[1])
            let bytes = stride(from: 0, to: 32, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
            return [hex, hex.uppercased(), Data(bytes).base64EncodedString()]
        }
        for name in names where !name.hasSuffix(".ismv") && !name.hasSuffix(".isma") {
            let text = try String(decoding: Data(contentsOf: dir.appendingPathComponent(name)), as: UTF8.self)
            for s in secrets { #expect(!text.contains(s), "\(name) holds a key") }
        }
        for s in secrets { #expect(!"\(protected)".contains(s)) }

        // serve: the origin returns the .ismc and each fragment byte for byte as written.
        let origin = try SmoothOrigin(configuration: OriginConfiguration(root: out.appendingPathComponent("cenc").path))
        let ismPath = "\(protected.prefix)\(protected.name).ism"
        let servedManifest = try origin.manifestBytes(presentation: ismPath) == Array(ismc.utf8)
        #expect(servedManifest)
        let client = try origin.clientManifest(presentation: ismPath)
        for stream in client.streams {
            let level = try #require(stream.qualityLevels.first)
            let chunk = try #require(stream.chunks.first)
            let body = try origin.fragmentBytes(presentation: ismPath, request: FragmentRequest(
                bitrate: level.bitrate, streamName: stream.name, time: chunk.time))
            let file = try #require(protected.renditions.first { $0.trackName == stream.name && $0.bitrate == level.bitrate })
            let bytes = try Data(contentsOf: dir.appendingPathComponent(file.file))
            // It is the fragment with its encryption boxes: moof with senc and the PIFF box, then the mdat.
            let moofSize = Int(body.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            let traf = try #require(try MoofBox.decode(Array(body.prefix(moofSize))).trafs.first)
            #expect(traf.senc != nil && traf.piffSampleEncryption != nil)
            let same = bytes.range(of: Data(body)) != nil
            #expect(same, "\(stream.name): the served fragment is not a byte range of the file")
        }

        // encode --encrypt (the muxing sink path): the deterministic encode gives the same samples as the clear
        // encode, so every decrypted rendition matches its clear twin frame for frame.
        let encoded = try await Packager(profile: .named("fast"), options: options)
            .encode(source: URL(fileURLWithPath: TestPaths.testMedia("bars-25fps-stereo.mp4")), into: out.appendingPathComponent("enc-encode"))
        #expect(encoded.renditions.map(\.file) == clear.renditions.map(\.file))
        for r in encoded.renditions {
            let key = String((r.kind == .video ? Self.videoKey : Self.audioKey).split(separator: ":")[1])
            let encPath = encoded.directory.appendingPathComponent(r.file).path
            let reference = try External.run([ffmpeg, "-v", "error", "-i", clear.directory.appendingPathComponent(r.file).path,
                                              "-map", "0", "-f", "framemd5", "-"])
            let decrypted = try External.run([ffmpeg, "-v", "error", "-decryption_key", key, "-i", encPath,
                                              "-map", "0", "-f", "framemd5", "-"])
            let same = reference.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
                == decrypted.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(same && reference.status == 0, "\(r.file): \(decrypted.stderr)")
            #expect(IsmvChecker.check(path: encPath).isEmpty)
        }

        // Re-keying (new KIDs) gives a new version; the same settings are a no-op.
        let again = try await Packager(profile: .named("fast"), options: options)
            .package(files: files, into: out.appendingPathComponent("cenc"), name: clear.name)
        #expect(again.status == .upToDate && again.version == protected.version)
        #expect(again.keyIDs == protected.keyIDs && again.notes == protected.notes)
        var other = options
        other.protection = try ProtectionSettings(keyArguments: ["00000000000000000000000000000009:0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
                                                  licenseURL: nil)
        let rekeyed = try await Packager(profile: .named("fast"), options: other)
            .package(files: files, into: out.appendingPathComponent("cenc"), name: clear.name)
        #expect(rekeyed.version != protected.version)
    }
}
