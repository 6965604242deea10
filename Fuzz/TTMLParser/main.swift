// libFuzzer harness for the TTML reader (its XML reader is the largest caption surface): scripts/fuzz builds it with
// `-sanitize=fuzzer,address` against the Captions sources. All it runs is Captions.FuzzEntry.ttmlParser, which the
// regression tests replay; a broken invariant is a finding, like a trap.
import Captions

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let broken = FuzzEntry.ttmlParser(Array(UnsafeBufferPointer(start: data, count: size)))
    precondition(broken.isEmpty, broken.joined(separator: "; "))
    return 0
}
