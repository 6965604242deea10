/// The request target turned into safe path segments below the served root.
///
/// Rules (each tested): the target is at most `maxLength` bytes (else 414); the query is ignored; the path
/// is split on `/` *before* percent-decoding, then each segment is decoded exactly once, so `%2f`
/// cannot create a separator and `%252e%252e` stays the literal name `%2e%2e`. Invalid percent-escapes
/// and non-UTF-8 segments are 400. Empty segments (`//`, a trailing `/`), `.`, `..`, names starting with `.`
/// (hidden files, the encoder's `.tmp-*` staging folders), and segments holding NUL or control characters
/// are 404: such a path never names a served file.
struct RequestPath: Sendable, Equatable {
    /// Decoded segments, at least one, none empty.
    var segments: [String]

    /// Parses an origin-form target (`/a/b?q`) or an absolute-form one (`http://host/a/b`).
    static func parse(_ target: String, maxLength: Int) -> Result<RequestPath, OriginError> {
        let utf8 = target.utf8
        guard utf8.count <= maxLength else { return .failure(.uriTooLong(utf8.count)) }
        var path = Substring(target)
        if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<q] }
        for scheme in ["http://", "https://"] where path.lowercased().hasPrefix(scheme) {
            let afterScheme = path.dropFirst(scheme.count)
            guard let slash = afterScheme.firstIndex(of: "/") else { return .failure(.notFound("no path")) }
            path = afterScheme[slash...]
        }
        guard path.first == "/" else { return .failure(.notFound("request target is not a path")) }
        var segments: [String] = []
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            switch decode(raw) {
            case .failure(let e): return .failure(e)
            case .success(let s): segments.append(s)
            }
        }
        return .success(RequestPath(segments: segments))
    }

    /// The segments as the router matches them: joined with `/`, every byte outside the path characters that
    /// never need escaping (letters, digits, `-._~!$&'()*+,;=:@`) percent-encoded, so that no decoded `%`, `?`,
    /// `#` or space changes how the path is split again.
    var routingPath: String {
        var out: [UInt8] = []
        out.reserveCapacity(segments.reduce(0) { $0 + $1.utf8.count + 1 })
        for segment in segments {
            out.append(UInt8(ascii: "/"))
            for b in segment.utf8 {
                if Self.isPathSafe(b) {
                    out.append(b)
                } else {
                    out.append(UInt8(ascii: "%"))
                    out.append(Self.hexDigits[Int(b >> 4)])
                    out.append(Self.hexDigits[Int(b & 0x0F)])
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isPathSafe(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "-._~!$&'()*+,;=:@".utf8.contains(b)
        }
    }

    private static func decode(_ raw: Substring) -> Result<String, OriginError> {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var it = raw.utf8.makeIterator()
        while let c = it.next() {
            if c == UInt8(ascii: "%") {
                guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else {
                    return .failure(.badRequest("invalid percent-encoding"))
                }
                bytes.append(h << 4 | l)
            } else {
                bytes.append(c)
            }
        }
        guard !bytes.isEmpty else { return .failure(.notFound("empty path segment")) }
        guard bytes.first != UInt8(ascii: ".") else { return .failure(.notFound("dot segment or hidden name")) }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") })
        else { return .failure(.notFound("separator or control character in a segment")) }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            return .failure(.badRequest("segment is not UTF-8"))
        }
        return .success(s)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
