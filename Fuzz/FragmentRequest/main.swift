// libFuzzer harness for the origin's URL parser, FragmentRequest(path:) (issue 8): any string either parses
// or gives nil, and what parses must print back to a path that parses to the same request.
import SmoothManifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let request = FragmentRequest(path: text) {
        precondition(FragmentRequest(path: request.path) == request, "round trip changed \(text) → \(request.path)")
    }
    _ = FragmentRequest(path: Substring(text))
    return 0
}
