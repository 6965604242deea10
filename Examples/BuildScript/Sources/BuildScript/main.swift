// Packages one source file into a Smooth Streaming presentation with smoothpack's library API,
// printing progress as it goes and the playback path at the end.
//
//   package-clip <source> <out dir> [profile]      (profile: default, fast, bench-4rung or a .yaml path)
//
// Exit status: 0 done, 1 the encode failed, 2 usage error.
import Foundation
import SmoothPack

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 2 || arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: package-clip <source> <out dir> [profile]\n".utf8))
    exit(2)
}
let source = URL(fileURLWithPath: arguments[arguments.startIndex])
let outDir = URL(fileURLWithPath: arguments[arguments.startIndex + 1], isDirectory: true)
let profileArgument = arguments.count == 3 ? arguments[arguments.startIndex + 2] : "default"

do {
    let profile: ProfileSelection = profileArgument.hasSuffix(".yaml") ? .file(profileArgument) : .named(profileArgument)
    let packager = try Packager(profile: profile)
    let run = packager.encodeWithProgress(source: source, into: outDir)

    // Progress: an AsyncSequence of typed events, finished when the encode ends.
    var lastPercent = -1
    for await event in run.events {
        switch event {
        case .phase(_, let phase):
            print("phase: \(phase.rawValue)")
        case .progress(_, let fraction, let fps, _):
            guard let fraction else { continue }
            let percent = Int(fraction * 100)
            if percent / 10 != lastPercent / 10 {   // one line per 10 %
                lastPercent = percent
                print("encoding: \(percent)% at \(Int(fps)) fps")
            }
        case .note(_, let note):
            print("note: \(note)")
        }
    }

    let presentation = try await run.presentation
    print("status: \(presentation.status.rawValue)")
    print("folder: \(presentation.directory.path)")
    for rendition in presentation.renditions {
        let size = rendition.width.map { w in rendition.height.map { "\(w)x\($0)" } ?? "" } ?? ""
        print("rendition: \(rendition.file) \(rendition.kind.rawValue) \(size) \(rendition.bitrate) bps")
    }
    print("upload manifest: \(presentation.uploadManifest.objects.count) files")
    print("playback: \(presentation.playbackPath)")
} catch let error as PipelineError {
    // Typed errors: the stage, the reason, and whether retrying could help.
    FileHandle.standardError.write(Data("package-clip: \(error) (transient: \(error.isTransient))\n".utf8))
    exit(1)
} catch {
    FileHandle.standardError.write(Data("package-clip: \(error)\n".utf8))
    exit(1)
}
