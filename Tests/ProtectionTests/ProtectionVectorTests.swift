import Foundation
import ISOBMFF
import Protection
import Testing

func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { $0.isHexDigit }.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// Published vectors: FIPS-197 (AES), NIST SP 800-38A (CTR), Microsoft's PlayReady test server key
/// derivation (docs/format.md §12.5).
@Suite struct ProtectionVectorTests {
    @Test func aesBlockFIPS197() {  // FIPS-197 Appendix C.1
        let out = AES128.encryptBlock(hex("00112233445566778899aabbccddeeff"), key: hex("000102030405060708090a0b0c0d0e0f"))
        #expect(out == hex("69c4e0d86a7b0430d8cdb78070b4c55a"))
    }

    @Test func aesCTRSP80038A() {  // SP 800-38A F.5.1, the first two blocks; split ranges keep one keystream
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c")
        let counter = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
        let plain = hex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51")
        let expected = hex("874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff")
        var whole = plain
        AES128.ctr(&whole, ranges: [0..<32], key: key, iv: counter)
        #expect(whole == expected)
        var split = plain
        AES128.ctr(&split, ranges: [0..<5, 5..<21, 21..<32], key: key, iv: counter)
        #expect(split == expected)
        // Clear gaps between ranges: the protected bytes are one stream.
        var gapped = [0xAA, 0xAA] + plain[0..<10] + [0xBB] + plain[10..<32]
        AES128.ctr(&gapped, ranges: [2..<12, 13..<35], key: key, iv: counter)
        let ok = Array(gapped[2..<12] + gapped[13..<35]) == expected && gapped[0] == 0xAA && gapped[12] == 0xBB
        #expect(ok)
    }

    @Test func playReadyTestKeyAndChecksum() throws {
        let kid = try KeyID(hex: "8ba94ade-6eb9-449d-b44f-a5beefaf43b0")
        #expect(kid.guidBytes == hex("de4aa98bb96e9d44b44fa5beefaf43b0"))
        #expect(Data(kid.guidBytes).base64EncodedString() == "3kqpi7lunUS0T6W+769DsA==")
        let key = PlayReady.testKey(for: kid)
        #expect(key.key.bytes == hex("DBFD6922C321C4BB486F4A1C44097ED6"))
        #expect(Data(PlayReady.checksum(key)).base64EncodedString() == "Me48z71nuqY=")
    }

    @Test func wrmHeader40AndObjectLayout() throws {
        let key = PlayReady.testKey(for: try KeyID(hex: "8ba94ade6eb9449db44fa5beefaf43b0"))
        let url = "https://test.playready.microsoft.com/service/rightsmanager.asmx?cfg=(a:1)&x=2"
        let header = PlayReady.header(keys: [key], licenseURL: url)
        #expect(header == """
            <WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.0.0.0">\
            <DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>\
            <KID>3kqpi7lunUS0T6W+769DsA==</KID><CHECKSUM>Me48z71nuqY=</CHECKSUM>\
            <LA_URL>https://test.playready.microsoft.com/service/rightsmanager.asmx?cfg=(a:1)&amp;x=2</LA_URL>\
            </DATA></WRMHEADER>
            """)
        let pro = try PlayReady.object(keys: [key], licenseURL: url)
        let utf16 = header.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] }
        let length = UInt32(pro[0]) | UInt32(pro[1]) << 8 | UInt32(pro[2]) << 16 | UInt32(pro[3]) << 24
        #expect(Int(length) == pro.count)
        #expect(Array(pro[4..<8]) == [1, 0, 1, 0])  // one record, type 1
        #expect(Int(pro[8]) | Int(pro[9]) << 8 == utf16.count)
        let same = Array(pro[10...]) == utf16
        #expect(same)
    }

    @Test func twoKeysUseKIDSList() throws {
        let v = PlayReady.testKey(for: try KeyID(hex: "00000000000000000000000000000001"))
        let a = PlayReady.testKey(for: try KeyID(hex: "00000000000000000000000000000002"))
        let header = PlayReady.header(keys: [v, a], licenseURL: nil)
        #expect(header.contains(#"version="4.2.0.0""#))
        #expect(header.components(separatedBy: "<KID ALGID=\"AESCTR\"").count == 3)
        #expect(!header.contains("LA_URL"))
    }

    @Test func keysNeverPrinted() throws {
        let key = try ContentKey(argument: "0123456789abcdef0123456789abcdef:fedcba9876543210fedcba9876543210")
        let settings = try ProtectionSettings(video: key, licenseURL: "https://lic.example/x")
        var dumped = ""
        dump(settings, to: &dumped)
        for text in ["\(key)", "\(settings)", String(reflecting: key), String(reflecting: settings), dumped,
                     settings.versionDescription] {
            #expect(!text.lowercased().contains("fedcba9876543210"), "\(text)")
        }
        // A bad key's error does not echo it.
        do {
            _ = try ContentKey(argument: "0123456789abcdef0123456789abcdef:fedcba9876543210fedcba987654321Z")
            Issue.record("accepted a bad key")
        } catch {
            #expect(!"\(error)".lowercased().contains("fedcba"))
        }
    }

    @Test func keyArgumentForms() throws {
        let dashed = try ContentKey(argument: "01234567-89ab-cdef-0123-456789abcdef:00112233445566778899aabbccddeeff")
        #expect(dashed.kid.uuidString == "01234567-89ab-cdef-0123-456789abcdef")
        #expect(throws: ProtectionError.self) { try ContentKey(argument: "0123") }
        #expect(throws: ProtectionError.self) { try ProtectionSettings(keyArguments: [], licenseURL: nil) }
        let two = try ProtectionSettings(keyArguments: [
            "00000000000000000000000000000001:00112233445566778899aabbccddeeff",
            "00000000000000000000000000000002:00112233445566778899aabbccddeef0",
        ], licenseURL: nil)
        #expect(two.keyIDs.count == 2)
        #expect(throws: ProtectionError.self) {
            try ProtectionSettings(keyArguments: [
                "00000000000000000000000000000001:00112233445566778899aabbccddeeff",
                "00000000000000000000000000000001:00112233445566778899aabbccddeef0",
            ], licenseURL: nil)
        }
    }
}

@Suite struct SubsampleMapTests {
    /// Length-prefixed NAL units of the given types and payload sizes (header byte included in size).
    func accessUnit(_ units: [(type: UInt8, size: Int)]) -> [UInt8] {
        var out: [UInt8] = []
        for u in units {
            out += [UInt8(u.size >> 24), UInt8((u.size >> 16) & 0xFF), UInt8((u.size >> 8) & 0xFF), UInt8(u.size & 0xFF)]
            out.append(0x60 | u.type)
            out += (1..<u.size).map { UInt8(truncatingIfNeeded: $0) }
        }
        return out
    }

    @Test func headersClearSlicesBlockAligned() {
        let au = accessUnit([(9, 2), (7, 20), (8, 5), (5, 1000), (1, 30), (1, 200)])
        let map = SubsampleMap.avc(au)
        let covered = map.reduce(0) { $0 + Int($1.clearBytes) + Int($1.protectedBytes) }
        #expect(covered == au.count)
        #expect(map.allSatisfy { $0.protectedBytes % 16 == 0 })
        // AUD, SPS, PPS and the IDR's prefix + header + 32 bytes are clear before the first protected run.
        #expect(Int(map[0].clearBytes) >= (4 + 2) + (4 + 20) + (4 + 5) + 4 + 1 + 32)
        // Every NAL header byte lies in a clear run.
        let protected = SubsampleMap.protectedRanges(map)
        var at = 0
        for size in [2, 20, 5, 1000, 30, 200] {
            #expect(!protected.contains { $0.contains(at) || $0.contains(at + 4) })
            at += 4 + size
        }
        #expect(protected.count == 2)  // the 30-byte slice is too short to protect a block
    }

    @Test func longClearRunSplits() {
        let au = accessUnit([(6, 70_000), (5, 100)])
        let map = SubsampleMap.avc(au)
        #expect(map.count == 2 && map[0] == Subsample(clearBytes: 65535, protectedBytes: 0))
        #expect(map.reduce(0) { $0 + Int($1.clearBytes) + Int($1.protectedBytes) } == au.count)
    }
}
