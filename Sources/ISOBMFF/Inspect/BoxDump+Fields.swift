extension BoxDump {
    /// Key fields of a known leaf box (or the fixed part of a sample entry); empty for unknown boxes.
    static func fields(_ h: BoxHeader, _ body: ByteReader) throws -> [DumpField] {
        func u(_ v: some BinaryInteger) -> DumpValue { .uint(UInt64(v)) }
        func hex(_ v: UInt32) -> DumpValue { .hex(UInt64(v), digits: 8) }
        func bytes(_ b: [UInt8]) -> DumpValue { .string(hexString(b)) }
        func duration(_ d: UInt64) -> DumpValue { d == .max ? .string("unknown") : u(d) }
        switch h.type {
        case FrmaBox.type:
            return [DumpField("dataFormat", .string("\(try FrmaBox.decode(header: h, body: body).dataFormat)"))]
        case SchmBox.type:
            let b = try SchmBox.decode(header: h, body: body)
            return [DumpField("schemeType", .string("\(b.schemeType)")), DumpField("schemeVersion", hex(b.schemeVersion))]
        case TencBox.type:
            let b = try TencBox.decode(header: h, body: body)
            return [
                DumpField("isProtected", u(b.isProtected ? 1 : 0)), DumpField("perSampleIVSize", u(b.perSampleIVSize)),
                DumpField("defaultKID", bytes(b.defaultKID)),
            ]
        case PsshBox.type:
            let b = try PsshBox.decode(header: h, body: body)
            return [
                DumpField("systemID", .string(BoxUUID(b.systemID).description)), DumpField("keyIDs", u(b.keyIDs?.count ?? 0)),
                DumpField("dataSize", u(b.data.count)),
            ]
        case SencBox.type:
            let b = try SencBox.decode(header: h, body: body)
            return [
                DumpField("sampleCount", u(b.entries.count)), DumpField("ivSize", u(b.entries.first?.iv.count ?? 0)),
                DumpField("subsamples", u(b.entries.reduce(0) { $0 + $1.subsamples.count })),
            ]
        case SaizBox.type:
            let b = try SaizBox.decode(header: h, body: body)
            return [DumpField("sampleCount", u(b.sizes.count)), DumpField("totalSize", u(b.sizes.reduce(0) { $0 + Int($1) }))]
        case SaioBox.type:
            return [DumpField("offsets", .list(try SaioBox.decode(header: h, body: body).offsets.map { u($0) }))]
        case FtypBox.type:
            let b = try FtypBox.decode(header: h, body: body)
            return [
                DumpField("majorBrand", .string("\(b.majorBrand)")), DumpField("minorVersion", u(b.minorVersion)),
                DumpField("compatibleBrands", .list(b.compatibleBrands.map { .string("\($0)") })),
            ]
        case MvhdBox.type:
            let b = try MvhdBox.decode(header: h, body: body)
            return [
                DumpField("timescale", u(b.timescale)), DumpField("duration", duration(b.duration)),
                DumpField("nextTrackID", u(b.nextTrackID)),
            ]
        case TkhdBox.type:
            let b = try TkhdBox.decode(header: h, body: body)
            return [
                DumpField("trackID", u(b.trackID)), DumpField("duration", duration(b.duration)),
                DumpField("volume", .int(Int64(b.volume))), DumpField("width", .string(fixed(b.width))),
                DumpField("height", .string(fixed(b.height))),
            ]
        case MdhdBox.type:
            let b = try MdhdBox.decode(header: h, body: body)
            return [
                DumpField("timescale", u(b.timescale)), DumpField("duration", duration(b.duration)),
                DumpField("language", .string(b.language)),
            ]
        case HdlrBox.type:
            let b = try HdlrBox.decode(header: h, body: body)
            return [DumpField("handlerType", .string("\(b.handlerType)")), DumpField("name", .string(b.name))]
        case VmhdBox.type:
            _ = try VmhdBox.decode(header: h, body: body)
            return []
        case SmhdBox.type:
            return [DumpField("balance", .int(Int64(try SmhdBox.decode(header: h, body: body).balance)))]
        case UrlBox.type:
            let b = try UrlBox.decode(header: h, body: body)
            return [DumpField("location", .string(b.location ?? "(self-contained)"))]
        case SttsBox.type: return [DumpField("entryCount", u(try SttsBox.decode(header: h, body: body).entries.count))]
        case StscBox.type: return [DumpField("entryCount", u(try StscBox.decode(header: h, body: body).entries.count))]
        case StcoBox.type:
            return [DumpField("entryCount", u(try StcoBox.decode(header: h, body: body).chunkOffsets.count))]
        case StszBox.type:
            let b = try StszBox.decode(header: h, body: body)
            return [
                DumpField("sampleSize", u(b.sampleSize)),
                DumpField("sampleCount", u(b.sampleSize == 0 ? UInt32(b.entrySizes.count) : b.sampleCount)),
            ]
        case Avc1SampleEntry.type:
            let b = try Avc1SampleEntry.decode(header: h, body: body)
            return [
                DumpField("width", u(b.width)), DumpField("height", u(b.height)),
                DumpField("dataReferenceIndex", u(b.dataReferenceIndex)),
            ]
        case AvcCBox.type:
            let b = try AvcCBox.decode(header: h, body: body)
            return [
                DumpField("profile", u(b.profileIndication)), DumpField("compatibility", u(b.profileCompatibility)),
                DumpField("level", u(b.levelIndication)), DumpField("nalLengthSize", u(b.nalUnitLengthSize)),
                DumpField("sps", .list(b.sequenceParameterSets.map(bytes))),
                DumpField("pps", .list(b.pictureParameterSets.map(bytes))),
            ]
        case Mp4aSampleEntry.type:
            let b = try Mp4aSampleEntry.decode(header: h, body: body)
            return [
                DumpField("channels", u(b.channelCount)), DumpField("sampleSize", u(b.sampleSize)),
                DumpField("sampleRate", u(b.sampleRate)),
            ]
        case EsdsBox.type:
            let b = try EsdsBox.decode(header: h, body: body)
            return [
                DumpField("objectType", .hex(UInt64(b.objectTypeIndication), digits: 2)),
                DumpField("streamType", .hex(UInt64(b.streamTypeByte), digits: 2)),
                DumpField("maxBitrate", u(b.maxBitrate)), DumpField("avgBitrate", u(b.avgBitrate)),
                DumpField("decoderSpecificInfo", bytes(b.decoderSpecificInfo)),
            ]
        case TrexBox.type:
            let b = try TrexBox.decode(header: h, body: body)
            return [
                DumpField("trackID", u(b.trackID)),
                DumpField("sampleDescriptionIndex", u(b.defaultSampleDescriptionIndex)),
                DumpField("defaultDuration", u(b.defaultSampleDuration)),
                DumpField("defaultSize", u(b.defaultSampleSize)),
                DumpField("defaultFlags", hex(b.defaultSampleFlags)),
            ]
        case MfhdBox.type:
            return [DumpField("sequenceNumber", u(try MfhdBox.decode(header: h, body: body).sequenceNumber))]
        case TfhdBox.type:
            let b = try TfhdBox.decode(header: h, body: body)
            var f = [DumpField("trackID", u(b.trackID))]
            if let v = b.baseDataOffset { f.append(DumpField("baseDataOffset", u(v))) }
            if let v = b.sampleDescriptionIndex { f.append(DumpField("sampleDescriptionIndex", u(v))) }
            if let v = b.defaultSampleDuration { f.append(DumpField("defaultDuration", u(v))) }
            if let v = b.defaultSampleSize { f.append(DumpField("defaultSize", u(v))) }
            if let v = b.defaultSampleFlags { f.append(DumpField("defaultFlags", hex(v))) }
            return f
        case TrunBox.type:
            let b = try TrunBox.decode(header: h, body: body)
            var f = [DumpField("sampleCount", u(b.samples.count))]
            if let v = b.dataOffset { f.append(DumpField("dataOffset", .int(Int64(v)))) }
            if let v = b.firstSampleFlags { f.append(DumpField("firstSampleFlags", hex(v))) }
            f.append(DumpField("totalDuration", u(b.totalDuration)))
            f.append(DumpField("totalSize", u(b.totalSize)))
            f.append(
                DumpField(
                    "samples",
                    .list(
                        b.samples.map { s in
                            var o: [DumpField] = []
                            if let v = s.duration { o.append(DumpField("duration", u(v))) }
                            if let v = s.size { o.append(DumpField("size", u(v))) }
                            if let v = s.flags { o.append(DumpField("flags", hex(v))) }
                            if let v = s.compositionOffset { o.append(DumpField("cto", .int(Int64(v)))) }
                            return .object(o)
                        })))
            return f
        case TfdtBox.type:
            return [DumpField("baseMediaDecodeTime", u(try TfdtBox.decode(header: h, body: body).baseMediaDecodeTime))]
        case TfxdBox.type where h.uuid == .tfxd:
            let b = try TfxdBox.decode(header: h, body: body)
            return [DumpField("time", u(b.time)), DumpField("duration", u(b.duration))]
        case TfraBox.type:
            let b = try TfraBox.decode(header: h, body: body)
            return [
                DumpField("trackID", u(b.trackID)), DumpField("entryCount", u(b.entries.count)),
                DumpField(
                    "entries",
                    .list(
                        b.entries.map {
                            .object([
                                DumpField("time", u($0.time)), DumpField("moofOffset", u($0.moofOffset)),
                                DumpField("traf", u($0.trafNumber)), DumpField("trun", u($0.trunNumber)),
                                DumpField("sample", u($0.sampleNumber)),
                            ])
                        })),
            ]
        case MfroBox.type:
            return [DumpField("mfraSize", u(try MfroBox.decode(header: h, body: body).mfraSize))]
        case MdatBox.type:
            return [DumpField("payload", .int(h.bodySize))]
        default:
            return []
        }
    }

    /// 16.16 fixed point as `integer` or `integer.fraction`.
    static func fixed(_ v: UInt32) -> String {
        v & 0xFFFF == 0 ? "\(v >> 16)" : "\(v >> 16)+\(v & 0xFFFF)/65536"
    }
}
