public import MediaCore

/// 'avcC' AVC Decoder Configuration Record — ISO/IEC 14496-15 §5.3.3; docs/format.md §1.3 table:
/// lengthSizeMinusOne 3 (byte 0xFF), `0xE0 | numSPS`, then the PPS list.
public struct AvcCBox: Box {
    public static let type: FourCC = "avcC"
    public var configurationVersion: UInt8 = 1
    public var profileIndication: UInt8
    public var profileCompatibility: UInt8
    public var levelIndication: UInt8
    /// NAL unit length field size in bytes (1, 2 or 4); we always use 4 (docs/format.md §6.2 item 2).
    public var nalUnitLengthSize: UInt8 = 4
    public var sequenceParameterSets: [[UInt8]]
    public var pictureParameterSets: [[UInt8]]
    /// Bytes after the PPS list (High-profile chroma/bit-depth extension), kept verbatim.
    public var trailing: [UInt8] = []

    public init(
        profileIndication: UInt8, profileCompatibility: UInt8, levelIndication: UInt8,
        sequenceParameterSets: [[UInt8]], pictureParameterSets: [[UInt8]]
    ) {
        self.profileIndication = profileIndication
        self.profileCompatibility = profileCompatibility
        self.levelIndication = levelIndication
        self.sequenceParameterSets = sequenceParameterSets
        self.pictureParameterSets = pictureParameterSets
    }

    /// The record for one SPS and one PPS; profile/compatibility/level are SPS bytes 1…3.
    public init(config: VideoCodecConfig) {
        self.init(
            profileIndication: config.profileIndication, profileCompatibility: config.profileCompatibility,
            levelIndication: config.levelIndication,
            sequenceParameterSets: [config.sps], pictureParameterSets: [config.pps])
    }

    public func write(to w: inout ByteWriter) throws {
        guard [1, 2, 4].contains(nalUnitLengthSize), sequenceParameterSets.count <= 31,
            pictureParameterSets.count <= 255,
            (sequenceParameterSets + pictureParameterSets).allSatisfy({ $0.count <= Int(UInt16.max) })
        else {
            throw MP4Error(
                code: .invalidValue, box: Self.type, path: "avcC",
                detail: "length size \(nalUnitLengthSize), \(sequenceParameterSets.count) SPS, "
                    + "\(pictureParameterSets.count) PPS")
        }
        try w.box(Self.type) { w in
            w.write(configurationVersion)
            w.write(profileIndication)
            w.write(profileCompatibility)
            w.write(levelIndication)
            w.write(UInt8(0xFC | (nalUnitLengthSize - 1)))
            w.write(UInt8(0xE0 | UInt8(sequenceParameterSets.count)))
            for sps in sequenceParameterSets {
                w.write(UInt16(sps.count))
                w.write(sps)
            }
            w.write(UInt8(pictureParameterSets.count))
            for pps in pictureParameterSets {
                w.write(UInt16(pps.count))
                w.write(pps)
            }
            w.write(trailing)
        }
    }

    public init(body r: inout ByteReader) throws {
        configurationVersion = try r.readUInt8()
        guard configurationVersion == 1 else {
            throw r.error(.invalidValue, "configurationVersion \(configurationVersion)")
        }
        profileIndication = try r.readUInt8()
        profileCompatibility = try r.readUInt8()
        levelIndication = try r.readUInt8()
        nalUnitLengthSize = (try r.readUInt8() & 0x03) + 1
        guard nalUnitLengthSize != 3 else { throw r.error(.invalidValue, "NAL length size 3") }
        let spsCount = try r.boundedCount(UInt64(try r.readUInt8() & 0x1F), entrySize: 2, what: "SPS")
        sequenceParameterSets = try (0..<spsCount).map { _ in try r.readBytes(Int(try r.readUInt16())) }
        let ppsCount = try r.boundedCount(UInt64(try r.readUInt8()), entrySize: 2, what: "PPS")
        pictureParameterSets = try (0..<ppsCount).map { _ in try r.readBytes(Int(try r.readUInt16())) }
        trailing = try r.readRest()
    }
}
