// libFuzzer harness for the ISOBMFF readers: scripts/fuzz builds it with `-sanitize=fuzzer,address` against the
// ISOBMFF sources. All it runs is ISOBMFF.FuzzEntry.boxReader, which the regression tests replay.
import ISOBMFF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntry.boxReader(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
