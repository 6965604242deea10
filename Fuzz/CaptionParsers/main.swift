// libFuzzer harness for the SRT/WebVTT/TTML readers: scripts/fuzz builds it with `-sanitize=fuzzer,address` against
// the Captions sources. All it runs is Captions.FuzzEntry.captionParsers, which the regression tests replay; a
// broken invariant is a finding, like a trap.
import Captions

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let broken = FuzzEntry.captionParsers(Array(UnsafeBufferPointer(start: data, count: size)))
    precondition(broken.isEmpty, broken.joined(separator: "; "))
    return 0
}
