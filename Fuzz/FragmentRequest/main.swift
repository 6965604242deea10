// libFuzzer harness for the origin's URL parser: scripts/fuzz builds it with `-sanitize=fuzzer,address` against
// the SmoothManifest sources. All it runs is SmoothManifest.FuzzEntry.fragmentRequest, which the regression
// tests replay; a broken invariant is a finding, like a trap.
import SmoothManifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let broken = FuzzEntry.fragmentRequest(Array(UnsafeBufferPointer(start: data, count: size)))
    precondition(broken.isEmpty, broken.joined(separator: "; "))
    return 0
}
