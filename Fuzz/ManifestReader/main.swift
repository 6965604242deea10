// libFuzzer harness for the .ism (SMIL) and .ismc readers (issue 8): both parse the same bytes; a trap is a
// finding, a thrown ManifestError is the expected outcome for bad input. A manifest that parses must survive
// its own derived queries.
import SmoothManifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let server = try? ServerManifest(xml: bytes) {
        for track in server.tracks { _ = server.track(bitrate: track.systemBitrate, name: track.name) }
    }
    _ = try? ClientManifest(xml: bytes)
    return 0
}
