/// One ISO BMFF box as a value type (style.md "A box"): it writes itself with a ``ByteWriter`` —
/// flags and version derived from its fields — and decodes from a bounds-checked ``ByteReader``.
public protocol Box: Sendable, Equatable {
    /// The box type (ISO/IEC 14496-12 §4.2).
    static var type: FourCC { get }
    /// For `uuid` boxes, the extended type; nil otherwise.
    static var extendedType: BoxUUID? { get }
    /// Appends the whole box (header included) to `w`.
    func write(to w: inout ByteWriter) throws
    /// Decodes the box body (everything after the header, version/flags included for full boxes).
    init(body: inout ByteReader) throws
}

extension Box {
    public static var extendedType: BoxUUID? { nil }

    /// The box's bytes.
    public func encoded() throws -> [UInt8] {
        var w = ByteWriter()
        try write(to: &w)
        return w.bytes
    }

    /// Decodes one whole box (header included) that must fill `bytes` exactly.
    public static func decode(_ bytes: [UInt8], fileOffset: Int64 = 0) throws -> Self {
        var r = ByteReader(bytes, fileOffset: fileOffset)
        guard let (header, body) = try r.nextBox() else {
            throw MP4Error(code: .truncated, box: type, offset: fileOffset, detail: "no box")
        }
        try r.expectEnd()
        return try decode(header: header, body: body)
    }

    /// Decodes a child found by ``ByteReader/nextBox()`` after checking its type; the body must be
    /// consumed exactly.
    public static func decode(header: BoxHeader, body: ByteReader) throws -> Self {
        var body = body
        guard header.type == type, header.uuid == extendedType else {
            throw body.error(.unexpectedBox, "expected \(type), found \(header.displayName)")
        }
        let box = try Self(body: &body)
        try body.expectEnd()
        return box
    }
}

extension ByteReader {
    /// Decodes the single child of type `B` among `children`, throwing `missingBox` when absent.
    func required<B: Box>(_: B.Type, in children: [(header: BoxHeader, body: ByteReader)]) throws -> B {
        guard let c = children.first(where: { $0.header.type == B.type && $0.header.uuid == B.extendedType }) else {
            throw error(.missingBox, "no \(B.type) in \(box)")
        }
        return try B.decode(header: c.header, body: c.body)
    }

    /// Decodes the first child of type `B` if present.
    func optional<B: Box>(_: B.Type, in children: [(header: BoxHeader, body: ByteReader)]) throws -> B? {
        guard let c = children.first(where: { $0.header.type == B.type && $0.header.uuid == B.extendedType }) else {
            return nil
        }
        return try B.decode(header: c.header, body: c.body)
    }

    /// Decodes every child of type `B`.
    func all<B: Box>(_: B.Type, in children: [(header: BoxHeader, body: ByteReader)]) throws -> [B] {
        try children.filter { $0.header.type == B.type && $0.header.uuid == B.extendedType }
            .map { try B.decode(header: $0.header, body: $0.body) }
    }
}
