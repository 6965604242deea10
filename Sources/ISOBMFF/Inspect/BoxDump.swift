/// A readable tree of a file's boxes with each known box's key fields, as text or JSON (style.md:
/// `inspect` prints `BoxDump`). `mdat` payloads are never read.
public enum BoxDump {
    /// Boxes whose body is only child boxes.
    static let containers: Set<FourCC> = [
        "moov", "trak", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf",
        "mfra", "edts", "udta", "sinf", "schi",
    ]
    /// Full boxes: their version and flags are shown as read.
    static let fullBoxes: Set<FourCC> = [
        "mvhd", "tkhd", "mdhd", "hdlr", "vmhd", "smhd", "dref", "url ", "stsd",
        "stts", "stsc", "stsz", "stco", "trex", "mehd", "mfhd", "tfhd", "trun",
        "tfdt", "tfra", "mfro", "esds", "schm", "tenc", "pssh", "senc", "saiz", "saio",
    ]

    /// The tree of every top-level box, read with positional reads; boxes larger than `limit` (other
    /// than mdat) are shown without their contents.
    public static func tree(of source: some RandomAccessSource, limit: Int64 = 64 << 20) throws -> [DumpNode] {
        try source.boundedTopLevelBoxes().map { h in
            if h.type == MdatBox.type || h.size > limit {
                return DumpNode(
                    name: h.displayName, offset: h.offset, size: h.size,
                    fields: [DumpField("payload", .int(h.bodySize))])
            }
            var r = try source.readBox(h, limit: limit)
            guard let (header, body) = try r.nextBox() else {
                return DumpNode(name: h.displayName, offset: h.offset, size: h.size)
            }
            return node(header, body, depth: 1)
        }
    }

    /// Deepest box nesting shown; our files nest six deep (moov/trak/mdia/minf/stbl/stsd/avc1/avcC is
    /// eight), so a deeper tree is hostile (a moov in a moov in a moov…) and would otherwise recurse once
    /// per 8 bytes of the box.
    public static let maxDepth = 32

    /// The tree of a file held in memory.
    public static func tree(of bytes: [UInt8]) throws -> [DumpNode] { try tree(of: MemorySource(bytes)) }

    /// Text form: one line per box, `name @offset size=N` then `key=value` fields, children indented by two
    /// spaces; lists longer than `maxListItems` are cut with `…`.
    public static func render(_ nodes: [DumpNode], maxListItems: Int = 64) -> String {
        var out = ""
        func line(_ n: DumpNode, _ depth: Int) {
            let pad = String(repeating: "  ", count: depth)
            var text = "\(pad)\(n.name) @\(n.offset) size=\(n.size)"
            var lists: [DumpField] = []
            for f in n.fields {
                if case .list(let items) = f.value,
                    items.contains(where: { if case .object = $0 { true } else { false } })
                {
                    lists.append(f)
                } else {
                    text += " \(f.key)=\(f.value.text)"
                }
            }
            out += text + "\n"
            for f in lists {
                guard case .list(let items) = f.value else { continue }
                for (i, item) in items.prefix(maxListItems).enumerated() {
                    out += "\(pad)    \(f.key)[\(i)] \(item.text)\n"
                }
                if items.count > maxListItems { out += "\(pad)    … \(items.count - maxListItems) more \(f.key)\n" }
            }
            for c in n.children { line(c, depth + 1) }
        }
        for n in nodes { line(n, 0) }
        return out
    }

    /// Text dump of a source (``tree(of:limit:)`` then ``render(_:maxListItems:)``).
    public static func render(_ source: some RandomAccessSource, maxListItems: Int = 64) throws -> String {
        render(try tree(of: source), maxListItems: maxListItems)
    }

    /// JSON form: an array of `{"type","offset","size","fields":{…},"children":[…]}`.
    public static func json(_ nodes: [DumpNode]) -> String {
        func encode(_ n: DumpNode) -> String {
            let fields = n.fields.map { "\(jsonString($0.key)):\($0.value.json)" }.joined(separator: ",")
            return "{\"type\":\(jsonString(n.name)),\"offset\":\(n.offset),\"size\":\(n.size),\"fields\":{\(fields)},"
                + "\"children\":[\(n.children.map(encode).joined(separator: ","))]}"
        }
        return "[" + nodes.map(encode).joined(separator: ",\n") + "]\n"
    }

    /// One node: container children, or the fields of a known box; decoding problems become an
    /// `error` field instead of failing the whole dump.
    static func node(_ header: BoxHeader, _ body: ByteReader, depth: Int) -> DumpNode {
        var n = DumpNode(name: header.displayName, offset: header.offset, size: header.size)
        do {
            guard depth <= maxDepth else {
                throw body.error(.boxTooLarge, "boxes nested deeper than \(maxDepth)")
            }
            if fullBoxes.contains(header.type) {
                var peek = body
                let vf = try peek.readVersionFlags()
                n.fields += [
                    DumpField("version", .uint(UInt64(vf.version))),
                    DumpField("flags", .hex(UInt64(vf.flags), digits: 6)),
                ]
            } else if header.type == "uuid", header.uuid == .tfxd || header.uuid == .tfrf {
                var peek = body
                n.fields.append(DumpField("version", .uint(UInt64(try peek.readVersionFlags().version))))
            }
            var childReader: ByteReader?
            switch header.type {
            case _ where containers.contains(header.type): childReader = body
            case "stsd", "dref":
                var r = body
                try r.skip(8)
                childReader = r
            case "avc1", "mp4a", "encv", "enca":
                var r = body
                try r.skip(header.type == "avc1" || header.type == "encv" ? 78 : 28)
                n.fields += try fields(header, body)
                childReader = r
            default:
                n.fields += try fields(header, body)
            }
            if var r = childReader {
                while let (h, b) = try r.nextBox() {
                    n.children.append(node(h, b, depth: depth + 1))
                    guard n.children.count <= ByteReader.maxEntryCount else {
                        throw r.error(.boxTooLarge, "more than \(ByteReader.maxEntryCount) child boxes")
                    }
                }
            }
        } catch {
            n.fields.append(DumpField("error", .string("\(error)")))
        }
        return n
    }
}

extension RandomAccessSource {
    /// ``topLevelBoxes()`` with the reader's entry cap: a file of empty 8-byte boxes cannot make the list
    /// grow past ``ByteReader/maxEntryCount`` headers.
    func boundedTopLevelBoxes() throws -> [BoxHeader] {
        var out: [BoxHeader] = []
        var offset: Int64 = 0
        while offset < size {
            guard out.count < ByteReader.maxEntryCount else {
                throw MP4Error(
                    code: .boxTooLarge, box: "    ", offset: offset,
                    detail: "more than \(ByteReader.maxEntryCount) top-level boxes")
            }
            let h = try boxHeader(at: offset)
            out.append(h)
            offset = h.end
        }
        return out
    }
}
