/// 'minf' Media Information box — ISO/IEC 14496-12 §8.4.4: `vmhd`, `smhd` or `sthd`, `dinf`, `stbl`.
public struct MinfBox: Box {
    public static let type: FourCC = "minf"
    /// The media header matching the handler.
    public enum MediaHeader: Sendable, Equatable {
        case video(VmhdBox)
        case sound(SmhdBox)
        case subtitle(SthdBox)
    }
    public var mediaHeader: MediaHeader?
    public var dinf: DinfBox
    public var stbl: StblBox

    public init(mediaHeader: MediaHeader?, dinf: DinfBox = DinfBox(), stbl: StblBox) {
        self.mediaHeader = mediaHeader
        self.dinf = dinf
        self.stbl = stbl
    }

    public func write(to w: inout ByteWriter) throws {
        try w.box(Self.type) { w in
            switch mediaHeader {
            case .video(let v): try v.write(to: &w)
            case .sound(let s): try s.write(to: &w)
            case .subtitle(let s): try s.write(to: &w)
            case nil: break
            }
            try dinf.write(to: &w)
            try stbl.write(to: &w)
        }
    }

    public init(body r: inout ByteReader) throws {
        let children = try r.children()
        if let v = try r.optional(VmhdBox.self, in: children) {
            mediaHeader = .video(v)
        } else if let s = try r.optional(SmhdBox.self, in: children) {
            mediaHeader = .sound(s)
        } else if let s = try r.optional(SthdBox.self, in: children) {
            mediaHeader = .subtitle(s)
        } else {
            mediaHeader = nil
        }
        dinf = try r.optional(DinfBox.self, in: children) ?? DinfBox()
        stbl = try r.required(StblBox.self, in: children)
    }
}
