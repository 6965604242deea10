/// 'sthd' Subtitle Media Header box — ISO/IEC 14496-12 §12.6.2: the media header of a `subt` track; a full
/// box with no fields (version 0, flags 0).
public struct SthdBox: Box {
    public static let type: FourCC = "sthd"

    public init() {}

    public func write(to w: inout ByteWriter) throws {
        try w.fullBox(Self.type) { _ in VersionFlags(version: 0, flags: 0) }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
    }
}

extension HdlrBox {
    /// The subtitle handler (ISO/IEC 14496-12 §12.6.1; ISO/IEC 14496-30 §5 for TTML in `stpp`).
    public static let subtitle = HdlrBox(handlerType: "subt", name: "SubtitleHandler")
}
