internal import Foundation
internal import Platform

/// PlayReady signalling: the WRMHEADER XML, the PlayReady Object that carries it (the `.ismc`
/// ProtectionHeader, the `pssh` data and the MPD's `mspr:pro`), the KID checksum and Microsoft's
/// test-server key derivation. docs/format.md §12.4, §12.5.
public enum PlayReady {
    /// PlayReady's DRM system ID `9A04F079-9840-4286-AB92-E65BE0885F95` (wire order).
    public static let systemID: [UInt8] = [
        0x9A, 0x04, 0xF0, 0x79, 0x98, 0x40, 0x42, 0x86, 0xAB, 0x92, 0xE6, 0x5B, 0xE0, 0x88, 0x5F, 0x95,
    ]
    /// The system ID as the `.ismc` writes it.
    public static let systemIDString = "9A04F079-9840-4286-AB92-E65BE0885F95"

    /// Microsoft's public test licence server (docs/format.md §12.5).
    public static let testLicenseURL = "https://test.playready.microsoft.com/service/rightsmanager.asmx"

    /// The published key seed of Microsoft's test licence server (base64 text as published; the first
    /// 30 decoded bytes are the seed).
    static let testKeySeedBase64 = "XVBovsmzhP9gRIZxWfFta3VVRPzVEWmJsazEJ46I"

    /// First 8 bytes of AES-128-ECB(KID in GUID order) under the content key: the WRMHEADER `CHECKSUM` for
    /// AESCTR content, which lets a client check that a licence's key belongs to this KID.
    public static func checksum(_ key: ContentKey) -> [UInt8] {
        Array(AES128.encryptBlock(key.kid.guidBytes, key: key.key.bytes).prefix(8))
    }

    /// The content key Microsoft's test server issues for `kid`: the KID (GUID order) and the 30-byte seed
    /// go through SHA-256 three times — seed+KID, seed+KID+seed, seed+KID+seed+KID — and the key is the XOR
    /// of the two 16-byte halves of all three digests.
    public static func testKey(for kid: KeyID) -> ContentKey {
        guard let decoded = Data(base64Encoded: testKeySeedBase64), decoded.count >= 30 else {
            preconditionFailure("the published test key seed does not decode")
        }
        let seed = Array(decoded.prefix(30))
        let id = kid.guidBytes
        let a = SHA256.hash(seed + id)
        let b = SHA256.hash(seed + id + seed)
        let c = SHA256.hash(seed + id + seed + id)
        var key = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { key[i] = a[i] ^ a[i + 16] ^ b[i] ^ b[i + 16] ^ c[i] ^ c[i + 16] }
        // 16 bytes by construction.
        return ContentKey(kid: kid, key: try! SecretKey(key))
    }

    /// The WRMHEADER text. One key: version 4.0.0.0 (`<KID>` as element text, which dash.js reads; the
    /// 4.1+ attribute form leaves it empty there). Two or more keys: version 4.2.0.0 with a `<KIDS>` list,
    /// the first version that can name several (docs/format.md §12.4).
    public static func header(keys: [ContentKey], licenseURL: String?) -> String {
        precondition(!keys.isEmpty, "a PlayReady header names at least one key")
        let b64 = { (bytes: [UInt8]) in Data(bytes).base64EncodedString() }
        let la = licenseURL.map { "<LA_URL>\(escape($0))</LA_URL>" } ?? ""
        let ns = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader"
        if keys.count == 1, let k = keys.first {
            return "<WRMHEADER xmlns=\"\(ns)\" version=\"4.0.0.0\"><DATA><PROTECTINFO><KEYLEN>16</KEYLEN>"
                + "<ALGID>AESCTR</ALGID></PROTECTINFO><KID>\(b64(k.kid.guidBytes))</KID>"
                + "<CHECKSUM>\(b64(checksum(k)))</CHECKSUM>\(la)</DATA></WRMHEADER>"
        }
        let kids = keys.map {
            "<KID ALGID=\"AESCTR\" CHECKSUM=\"\(b64(checksum($0)))\" VALUE=\"\(b64($0.kid.guidBytes))\"></KID>"
        }.joined()
        return "<WRMHEADER xmlns=\"\(ns)\" version=\"4.2.0.0\"><DATA><PROTECTINFO><KIDS>\(kids)</KIDS>"
            + "</PROTECTINFO>\(la)</DATA></WRMHEADER>"
    }

    /// The PlayReady Object: total length (UInt32 LE), record count (UInt16 LE), then one record of type 1
    /// (Rights Management Header: type UInt16 LE, length UInt16 LE, the WRMHEADER in UTF-16LE).
    public static func object(keys: [ContentKey], licenseURL: String?) throws(ProtectionError) -> [UInt8] {
        var text: [UInt8] = []
        for unit in header(keys: keys, licenseURL: licenseURL).utf16 {
            text.append(UInt8(truncatingIfNeeded: unit))
            text.append(UInt8(truncatingIfNeeded: unit >> 8))
        }
        guard text.count <= Int(UInt16.max) else {
            throw .invalidSettings("the PlayReady header is \(text.count) bytes (at most 65535); shorten --la-url")
        }
        var out: [UInt8] = []
        func le(_ v: UInt32, _ bytes: Int) { for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
        le(UInt32(10 + text.count), 4)
        le(1, 2)
        le(1, 2)
        le(UInt32(text.count), 2)
        out += text
        return out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
