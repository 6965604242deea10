// libFuzzer harness for the ISOBMFF box reader (issue 8). Built by scripts/fuzz with
// `swiftc -sanitize=fuzzer,address -parse-as-library` against the ISOBMFF and MediaCore sources.
// Every reader that faces an uploaded or served file gets the same bytes; any trap, overflow, out-of-bounds
// access or runaway allocation is a finding. Errors thrown are the expected outcome for bad input.
import ISOBMFF

/// Every box type the reader decodes on its own.
let boxTypes: [any Box.Type] = [
    FtypBox.self, MoovBox.self, MvhdBox.self, TrakBox.self, TkhdBox.self, MdiaBox.self, MdhdBox.self, HdlrBox.self,
    MinfBox.self, VmhdBox.self, SmhdBox.self, DinfBox.self, DrefBox.self, UrlBox.self, StblBox.self, StsdBox.self,
    SttsBox.self, StscBox.self, StszBox.self, StcoBox.self, MvexBox.self, TrexBox.self, AvcCBox.self, EsdsBox.self,
    MoofBox.self, MfhdBox.self, TrafBox.self, TfhdBox.self, TrunBox.self, TfxdBox.self, MdatBox.self,
    MfraBox.self, TfraBox.self, MfroBox.self,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let source = MemorySource(bytes)
    if let nodes = try? BoxDump.tree(of: source) {
        _ = BoxDump.render(nodes)
        _ = BoxDump.json(nodes)
    }
    _ = IsmvChecker.check(source)
    _ = try? RandomAccessIndex.load(from: source)
    _ = try? FragmentIndex.read(from: source)
    _ = try? MovieReader.tracks(in: source)
    for type in boxTypes { _ = try? type.decode(bytes) }
    return 0
}
