/// 'stpp' XML Subtitle Sample Entry — ISO/IEC 14496-12 §12.6.3.2, used for TTML by ISO/IEC 14496-30 §6;
/// docs/format.md "Text track": six reserved bytes, the data reference index, then three NUL-terminated UTF-8
/// strings: the namespace(s) of the documents (space separated), the schema location(s) and the MIME types
/// of auxiliary resources (images, fonts; empty for text-only TTML). No child boxes.
public struct StppSampleEntry: Box {
    public static let type: FourCC = "stpp"
    public var dataReferenceIndex: UInt16 = 1
    public var namespace: String
    public var schemaLocation: String
    public var auxiliaryMimeTypes: String

    /// The entry for TTML text documents as ``Captions`` writes them.
    public init(namespace: String = "http://www.w3.org/ns/ttml", schemaLocation: String = "",
                auxiliaryMimeTypes: String = "") {
        self.namespace = namespace
        self.schemaLocation = schemaLocation
        self.auxiliaryMimeTypes = auxiliaryMimeTypes
    }

    /// This entry as an `stsd` child (``SampleEntry`` keeps entries it does not interpret as raw bodies).
    public var sampleEntry: SampleEntry {
        var w = ByteWriter(capacity: 64)
        writeBody(to: &w)
        return .other(type: Self.type, body: w.bytes)
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in writeBody(to: &w) }
    }

    private func writeBody(to w: inout ByteWriter) {
        w.zeros(6)
        w.write(dataReferenceIndex)
        for s in [namespace, schemaLocation, auxiliaryMimeTypes] {
            w.write(Array(s.utf8.filter { $0 != 0 }))
            w.write(UInt8(0))
        }
    }

    public init(body r: inout ByteReader) throws {
        try r.skip(6)
        dataReferenceIndex = try r.readUInt16()
        var strings: [String] = []
        for _ in 0..<3 {
            var bytes: [UInt8] = []
            while true {
                let b = try r.readUInt8()
                if b == 0 { break }
                bytes.append(b)
            }
            strings.append(String(decoding: bytes, as: UTF8.self))
        }
        namespace = strings[0]
        schemaLocation = strings[1]
        auxiliaryMimeTypes = strings[2]
        _ = try r.readRest()  // optional child boxes (btrt, mime) are not interpreted
    }
}
