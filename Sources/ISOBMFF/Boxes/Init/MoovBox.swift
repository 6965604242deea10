/// 'moov' Movie box — ISO/IEC 14496-12 §8.2.1; docs/format.md §1.3: `mvhd`, one `trak` per track,
/// `mvex` with one zero-default `trex` per track, no samples.
public struct MoovBox: Box {
    public static let type: FourCC = "moov"
    public var mvhd: MvhdBox
    public var tracks: [TrakBox]
    public var mvex: MvexBox?
    /// DRM system headers of a protected presentation (docs/format.md §12.2), written after `mvex`.
    public var pssh: [PsshBox] = []

    public init(mvhd: MvhdBox, tracks: [TrakBox], mvex: MvexBox?) {
        self.mvhd = mvhd
        self.tracks = tracks
        self.mvex = mvex
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            try mvhd.write(to: &w)
            for t in tracks { try t.write(to: &w) }
            try mvex?.write(to: &w)
            for p in pssh { try p.write(to: &w) }
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        mvhd = try r.required(MvhdBox.self, in: children)
        tracks = try r.all(TrakBox.self, in: children)
        mvex = try r.optional(MvexBox.self, in: children)
        pssh = try r.all(PsshBox.self, in: children)
    }
}
