/// 'pssh' Protection System Specific Header box — ISO/IEC 23001-7 §8.1: a DRM system's data (for PlayReady
/// the PlayReady Object, docs/format.md §12.4) in the `moov`. Version derives from the data: 1 when key IDs
/// are listed, else 0 (the form every PlayReady client reads).
public struct PsshBox: Box {
    public static let type: FourCC = "pssh"
    /// 16 bytes, wire order.
    public var systemID: [UInt8]
    /// Version 1 only: the KIDs (16 bytes each) the data covers.
    public var keyIDs: [[UInt8]]?
    public var data: [UInt8]

    public init(systemID: [UInt8], keyIDs: [[UInt8]]? = nil, data: [UInt8]) {
        self.systemID = systemID
        self.keyIDs = keyIDs
        self.data = data
    }

    public func write(to w: inout ByteWriter) throws {
        guard systemID.count == 16, (keyIDs ?? []).allSatisfy({ $0.count == 16 }),
            let size = UInt32(exactly: data.count)
        else {
            throw MP4Error(code: .invalidValue, box: Self.type, path: "pssh", detail: "system ID or KID not 16 bytes")
        }
        try w.fullBox(Self.type) { w in
            w.write(systemID)
            if let keyIDs {
                w.write(UInt32(keyIDs.count))
                for k in keyIDs { w.write(k) }
            }
            w.write(size)
            w.write(data)
            return VersionFlags(version: keyIDs == nil ? 0 : 1, flags: 0)
        }
    }

    public init(body r: inout ByteReader) throws {
        let vf = try r.readVersionFlags()
        try r.expectVersion(vf, in: 0...1)
        systemID = try r.readBytes(16)
        if vf.version == 1 {
            let count = try r.boundedCount(UInt64(try r.readUInt32()), entrySize: 16, what: "KIDs")
            keyIDs = try (0..<count).map { _ in try r.readBytes(16) }
        }
        let size = try r.boundedCount(UInt64(try r.readUInt32()), entrySize: 1, what: "data bytes")
        data = try r.readBytes(size)
    }
}
