/// The entry points the libFuzzer harnesses (`Fuzz/<target>/main.swift`, run by `scripts/fuzz`) and the
/// regression tests (`Tests/HostileInputTests`) share, so the suite replays exactly what the fuzzer ran.
public enum FuzzEntry {
    /// Every box type the reader decodes on its own.
    public static let boxTypes: [any Box.Type] = [
        FtypBox.self, MoovBox.self, MvhdBox.self, TrakBox.self, TkhdBox.self, MdiaBox.self, MdhdBox.self, HdlrBox.self,
        MinfBox.self, VmhdBox.self, SmhdBox.self, DinfBox.self, DrefBox.self, UrlBox.self, StblBox.self, StsdBox.self,
        SttsBox.self, StscBox.self, StszBox.self, StcoBox.self, MvexBox.self, TrexBox.self, AvcCBox.self, EsdsBox.self,
        MoofBox.self, MfhdBox.self, TrafBox.self, TfhdBox.self, TrunBox.self, TfxdBox.self, MdatBox.self,
        MfraBox.self, TfraBox.self, MfroBox.self, Avc1SampleEntry.self, Mp4aSampleEntry.self, SthdBox.self,
        StppSampleEntry.self,
        SinfBox.self, FrmaBox.self, SchmBox.self, SchiBox.self, TencBox.self, PsshBox.self, SencBox.self, SaizBox.self,
        SaioBox.self, PiffSampleEncryptionBox.self,
    ]

    /// Feeds `bytes` to every reader that faces an uploaded or served file: the box tree and its text and
    /// JSON forms, the `.ismv` checker, the `mfra` index, the fragment index, the movie reader and the sample-table
    /// reader of `package` (every sample of every plain track); then the
    /// body of the first box to every box type's decoder, whatever type its header names (the per-box decode
    /// loop). Bad input must give a thrown ``MP4Error`` or a parse; a trap or a runaway allocation is a finding.
    public static func boxReader(_ bytes: [UInt8]) {
        let source = MemorySource(bytes)
        if let nodes = try? BoxDump.tree(of: source) {
            _ = BoxDump.render(nodes)
            _ = BoxDump.json(nodes)
            _ = nodes.lazy.compactMap(\.firstError).first
        }
        _ = IsmvChecker.check(source)
        _ = try? RandomAccessIndex.load(from: source)
        _ = try? FragmentIndex.read(from: source)
        _ = try? MovieReader.tracks(in: source)
        if let tables = SampleTableReader.open(source) {
            try? tables.read(trackIDs: Set(tables.tracks.map(\.trackID)), window: 4096) { _, _ in }
        }
        var reader = ByteReader(bytes)
        guard let (_, body) = try? reader.nextBox() else { return }
        for type in boxTypes {
            var r = body
            _ = try? type.init(body: &r)
        }
    }
}
