/// 'vmhd' Video Media Header box — ISO/IEC 14496-12 §12.1.2 (flags are always 1 there).
public struct VmhdBox: Box {
    public static let type: FourCC = "vmhd"
    public var graphicsMode: UInt16 = 0
    public var opColor: [UInt16] = [0, 0, 0]

    public init() {}

    public func write(to w: inout ByteWriter) throws {
        precondition(opColor.count == 3, "vmhd opcolor has 3 entries")
        try w.fullBox(Self.type) { w in
            w.write(graphicsMode)
            for c in opColor { w.write(c) }
            return VersionFlags(version: 0, flags: 1)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...0)
        graphicsMode = try r.readUInt16()
        opColor = try (0..<3).map { _ in try r.readUInt16() }
    }
}
