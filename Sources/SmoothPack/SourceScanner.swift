public import Foundation
internal import FFmpeg
internal import MediaCore

/// Expands command-line inputs (files and folders) into the sources to encode.
///
/// Folders are scanned by probing, not by extension alone: a file libavformat cannot read as audio or
/// video is *skipped* (listed, not failed) — unless its extension says it was meant to be media, in which
/// case it is a source that will fail with its reason. Files named explicitly are always sources.
public struct SourceScanner: Sendable {
    /// A file found in a folder that is not media, with the reason.
    public struct Skipped: Sendable, Equatable, Codable {
        public var path: String
        public var reason: String
    }

    public var recursive: Bool

    public init(recursive: Bool = false) { self.recursive = recursive }

    /// Extensions of files that are meant to be media; such a file that cannot be read is a failure.
    public static let mediaExtensions: Set<String> = [
        "mp4", "m4v", "m4a", "mov", "mkv", "webm", "avi", "mxf", "ts", "mts", "m2ts", "mpg", "mpeg", "vob", "flv",
        "wmv", "asf", "3gp", "3g2", "ogv", "ogg", "opus", "mp3", "aac", "ac3", "wav", "flac", "dv", "y4m", "mj2",
    ]

    /// Names never taken: hidden files and files still being written by common tools.
    public static func isTemporaryName(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.hasSuffix("~") { return true }
        let lower = name.lowercased()
        return [".part", ".tmp", ".crdownload", ".partial", ".download", ".filepart"].contains { lower.hasSuffix($0) }
    }

    /// Files to encode and files skipped, in a stable order. Throws for an input that does not exist.
    public func scan(_ inputs: [String]) throws -> (sources: [URL], skipped: [Skipped]) {
        var sources: [URL] = []
        var skipped: [Skipped] = []
        var seen = Set<String>()
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
                throw PipelineError(source: input, stage: .read, message: "no such file or folder")
            }
            if !isDirectory.boolValue {
                let url = URL(fileURLWithPath: input).standardizedFileURL
                if seen.insert(url.path).inserted { sources.append(url) }
                continue
            }
            for file in files(in: URL(fileURLWithPath: input, isDirectory: true)) {
                guard seen.insert(file.path).inserted else { continue }
                if let reason = Self.notMediaReason(file) {
                    skipped.append(Skipped(path: file.path, reason: reason))
                } else {
                    sources.append(file)
                }
            }
        }
        return (sources, skipped)
    }

    private func files(in folder: URL) -> [URL] {
        let keys: [URLResourceKey] = [.isRegularFileKey, .isDirectoryKey]
        var found: [URL] = []
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for name in names where !Self.isTemporaryName(name) {
            let url = folder.appendingPathComponent(name).standardizedFileURL
            let values = try? url.resourceValues(forKeys: Set(keys))
            if values?.isDirectory == true {
                if recursive { found += files(in: url) }
            } else if values?.isRegularFile == true {
                found.append(url)
            }
        }
        return found
    }

    /// The container name when libavformat read the file as a still image or text (image2, *_pipe, tty).
    static func stillImageFormat(_ info: SourceInfo) -> String? {
        let still: Set<String> = ["image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "tty", "bmp_pipe", "tiff_pipe",
                                  "svg_pipe", "pgm_pipe", "ppm_pipe", "pgmyuv_pipe", "jpegls_pipe", "qoi_pipe", "dpx_pipe",
                                  "exr_pipe", "j2k_pipe", "pam_pipe", "pbm_pipe", "pcx_pipe", "psd_pipe", "sgi_pipe",
                                  "sunrast_pipe", "xbm_pipe", "xpm_pipe", "xwd_pipe", "image2pipe"]
        guard info.audioStreams.isEmpty else { return nil }
        return info.container.split(separator: ",").map(String.init).first { still.contains($0) }
    }

    /// Why a file in a folder is not a source, or nil when it is one (or was meant to be).
    static func notMediaReason(_ file: URL) -> String? {
        if mediaExtensions.contains(file.pathExtension.lowercased()) { return nil }
        if ["srt", "vtt", "ttml", "dfxp"].contains(file.pathExtension.lowercased()) {
            return "a caption file (taken as a sidecar of the video with the same name)"
        }
        do {
            let info = try Probe.probe(path: file.path)
            if let still = stillImageFormat(info) { return "not audio or video (\(still))" }
            if info.primaryVideo == nil && info.audioStreams.isEmpty { return "no audio or video stream" }
            return nil
        } catch {
            return "not media (\(error.message))"
        }
    }
}
