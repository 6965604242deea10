/// Bytes of a caption file to text: UTF-8, UTF-8 with a BOM, or UTF-16 LE/BE (with or without a BOM) are
/// decoded with a warning where repaired; CRLF and lone CR become LF (one warning). Anything else (invalid
/// UTF-8, NUL characters, a file over the size cap) is refused with the line of the first bad byte.
enum TextDecoding {
    static func decode(_ bytes: [UInt8], file: String, limits: CaptionLimits) throws(CaptionError)
        -> (text: String, warnings: [CaptionWarning])
    {
        let whole = CaptionLocation(file: file, line: 0)
        guard bytes.count <= limits.maxBytes else {
            throw CaptionError(whole, "file is \(bytes.count) bytes, over the \(limits.maxBytes)-byte limit")
        }
        var warnings: [CaptionWarning] = []
        var units: [UInt8] = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            units = Array(bytes.dropFirst(3))
            warnings.append(CaptionWarning(whole, "UTF-8 byte order mark removed"))
        } else if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            units = try utf16(Array(bytes.dropFirst(2)), little: little, file: file)
            warnings.append(CaptionWarning(whole, "decoded from UTF-16 \(little ? "LE" : "BE")"))
        } else if let little = looksLikeBOMlessUTF16(bytes) {
            units = try utf16(bytes, little: little, file: file)
            warnings.append(CaptionWarning(whole, "decoded from UTF-16 \(little ? "LE" : "BE") (no byte order mark)"))
        }
        // Validate UTF-8, refusing at the line of the first bad sequence.
        var line = 1
        var i = 0
        let n = units.count
        while i < n {
            let b = units[i]
            if b == 0x0A { line += 1; i += 1; continue }
            if b == 0 { throw CaptionError(file: file, line: line, "NUL byte: not a text file") }
            if b < 0x80 { i += 1; continue }
            let length: Int
            let minimum: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; minimum = 0x80
            case 0xE0...0xEF: length = 3; minimum = 0x800
            case 0xF0...0xF4: length = 4; minimum = 0x10000
            default: throw CaptionError(file: file, line: line, "not UTF-8 or UTF-16 (byte 0x\(hex(b)))")
            }
            guard i + length <= n else {
                throw CaptionError(file: file, line: line, "not UTF-8 or UTF-16 (truncated sequence at the end)")
            }
            var scalar = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for k in 1..<length {
                let c = units[i + k]
                guard c & 0xC0 == 0x80 else {
                    throw CaptionError(file: file, line: line, "not UTF-8 or UTF-16 (byte 0x\(hex(b)) 0x\(hex(c)))")
                }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                throw CaptionError(file: file, line: line, "not UTF-8 or UTF-16 (invalid sequence)")
            }
            i += length
        }
        if units.contains(0x0D) {
            var out: [UInt8] = []
            out.reserveCapacity(units.count)
            var k = 0
            while k < units.count {
                if units[k] == 0x0D {
                    out.append(0x0A)
                    if k + 1 < units.count && units[k + 1] == 0x0A { k += 1 }
                } else {
                    out.append(units[k])
                }
                k += 1
            }
            units = out
            warnings.append(CaptionWarning(whole, "CRLF line endings read as LF"))
        }
        return (String(decoding: units, as: UTF8.self), warnings)
    }

    /// UTF-16 code units (after any BOM) to UTF-8 bytes; unpaired surrogates are refused at their line.
    static func utf16(_ bytes: [UInt8], little: Bool, file: String) throws(CaptionError) -> [UInt8] {
        guard bytes.count % 2 == 0 else {
            throw CaptionError(file: file, line: 0, "UTF-16 text with an odd number of bytes")
        }
        var codeUnits: [UInt16] = []
        codeUnits.reserveCapacity(bytes.count / 2)
        var i = 0
        while i < bytes.count {
            let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
            codeUnits.append(little ? a | b << 8 : a << 8 | b)
            i += 2
        }
        var out: [UInt8] = []
        out.reserveCapacity(codeUnits.count)
        var line = 1
        let failed = transcode(codeUnits.makeIterator(), from: UTF16.self, to: UTF8.self, stoppingOnError: true) {
            unit in
            if unit == 0x0A { line += 1 }
            out.append(unit)
        }
        if failed { throw CaptionError(file: file, line: line, "invalid UTF-16 (unpaired surrogate)") }
        return out
    }

    /// A file without a BOM whose first bytes alternate ASCII and NUL is UTF-16; returns little-endian-ness.
    static func looksLikeBOMlessUTF16(_ bytes: [UInt8]) -> Bool? {
        let prefix = bytes.prefix(64)
        guard prefix.count >= 16 else { return nil }
        var evenZero = 0, oddZero = 0
        for (k, b) in prefix.enumerated() where b == 0 { if k % 2 == 0 { evenZero += 1 } else { oddZero += 1 } }
        let half = prefix.count / 2
        if oddZero >= half - 1 && evenZero == 0 { return true }
        if evenZero >= half - 1 && oddZero == 0 { return false }
        return nil
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
