import Foundation
import MediaCore
@testable import Planning

struct RepositoryNotFound: Error, CustomStringConvertible {
    var description: String
}

/// The repository root, found by walking up from this file (symlinks resolved) to the directory holding
/// `profiles/default.yaml`.
func repositoryRoot(file: String = #filePath) throws -> URL {
    var dir = URL(fileURLWithPath: file).resolvingSymlinksInPath().deletingLastPathComponent()
    while dir.path != "/" {
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("profiles/default.yaml").path) {
            return dir
        }
        dir = dir.deletingLastPathComponent()
    }
    throw RepositoryNotFound(description: "no profiles/default.yaml above \(file)")
}

func profilesDirectory() throws -> String { try repositoryRoot().appendingPathComponent("profiles").path }

/// A fresh empty temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("planning-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func builtin(_ name: String) -> Profile {
    do { return try Profile.builtin(name) } catch { fatalError("\(error)") }
}

func video(_ width: Int, _ height: Int, sar: Rational = Rational(1, 1), fps: Rational = Rational(25, 1),
           vfr: Bool = false, fieldOrder: FieldOrder = .progressive, rotation: Int = 0, index: Int = 0) -> VideoStreamInfo {
    VideoStreamInfo(index: index, codec: "h264", width: width, height: height, sampleAspectRatio: sar, frameRate: fps,
                    isVariableFrameRate: vfr, fieldOrder: fieldOrder, rotation: rotation)
}

func audio(_ index: Int, channels: Int = 2, rate: Int = 48000, language: String? = nil) -> AudioStreamInfo {
    AudioStreamInfo(index: index, codec: "aac", sampleRate: rate, channels: channels,
                    channelLayout: channels == 6 ? "5.1" : channels == 1 ? "mono" : "stereo", language: language)
}

func source(_ videos: [VideoStreamInfo], _ audios: [AudioStreamInfo] = [audio(1)]) -> SourceInfo {
    SourceInfo(path: "/in/clip.mp4", container: "mov,mp4,m4a,3gp,3g2,mj2", duration: 10, fileSize: 1000,
               videoStreams: videos, audioStreams: audios)
}

/// `WxH` strings of a plan's rungs, highest first.
func sizes(_ plan: LadderPlan) -> [String] {
    plan.video?.rungs.map { "\($0.width)x\($0.height)" } ?? []
}
