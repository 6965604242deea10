import Foundation

/// The hostile requests of ``AbuseTests``: raw bytes for each connection and, for each request in them, the
/// statuses that are correct. Generated from a seed (printed by the test) so a failure can be replayed.
///
/// A status outside a request's `allowed` set is a violation; `5xx` is only ever allowed as `502` on the
/// fragments of the deliberately corrupted presentation (the documented "corrupt media → 502").
struct Probe: Sendable {
    enum Category: String, Sendable, CaseIterable, Comparable {
        case traversal, numbers
        case badUTF8 = "bad-utf8"
        case missingParts = "missing-parts"
        case longURL = "long-url"
        case longHeaders = "long-headers"
        case methods
        case requestLine = "request-line"
        case range, pipelined
        case slowloris, stalled

        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    struct Expect: Sendable {
        var allowed: Set<Int>
        /// The request is HEAD: its response has no body.
        var head: Bool = false
        /// False for the valid requests mixed into pipelines (not counted as hostile).
        var hostile: Bool = true
    }

    var category: Category
    var bytes: [UInt8]
    /// One per request in `bytes`, in order (several when pipelined).
    var expects: [Expect]
    /// Closing the connection without (all) responses is acceptable: the input is not a parseable request.
    var mayClose: Bool = false
    /// Send end-of-stream after the bytes (incomplete input: the server cannot know it ended otherwise).
    var halfClose: Bool = false
    /// Send one byte at a time with this many milliseconds between bytes.
    var byteDelayMilliseconds: Int = 0
}

/// What the served folder holds, as the generator needs it.
struct AbuseSite: Sendable {
    struct Presentation: Sendable {
        /// `<prefix><stem>.ism`, relative to the root.
        var ism: String
        var prefix: String
        var references: [(stream: String, bitrate: Int, time: Int64)]
        var mediaFiles: [String]
    }

    var port: Int
    var marker: String
    /// Name of the folder beside the root holding the sentinel, and its absolute path.
    var outsideName: String
    var outsideAbsolute: String
    var healthy: [Presentation]
    /// Same files as a healthy one, media truncated: fragments 502.
    var broken: Presentation
    /// URLs that name files through symlinks leading outside the root: 404 only.
    var escapes: [String]
    /// Static files under the root (relative path, size).
    var staticFiles: [(path: String, size: Int)]
}

/// Deterministic PRNG (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct HostileCorpus {
    let site: AbuseSite
    var rng: SeededRandom

    static let notFound: Set<Int> = [400, 404]
    /// Statuses of any request whose answer depends on the file (valid, unknown or malformed).
    static let smooth: Set<Int> = [200, 400, 404]

    init(site: AbuseSite, seed: UInt64) {
        self.site = site
        self.rng = SeededRandom(seed: seed)
    }

    // MARK: Building requests

    /// `METHOD target version` + Host + `headers` + `Connection: close` (unless `keepAlive`).
    static func request(
        _ method: String = "GET", _ target: [UInt8], version: String = "HTTP/1.1", headers: [String] = [],
        keepAlive: Bool = false
    ) -> [UInt8] {
        var out = Array(method.utf8) + [0x20] + target + Array(" \(version)\r\nHost: 127.0.0.1\r\n".utf8)
        for h in headers { out += Array(h.utf8) + [13, 10] }
        if !keepAlive { out += Array("Connection: close\r\n".utf8) }
        return out + [13, 10]
    }

    static func request(
        _ method: String = "GET", _ target: String, headers: [String] = [], keepAlive: Bool = false
    ) -> [UInt8] {
        request(method, Array(target.utf8), headers: headers, keepAlive: keepAlive)
    }

    /// True when the target holds bytes no request-target may contain (space, controls, `\`, `"`, `<`, `>`,
    /// `^`, `` ` ``, `{`, `|`, `}`, non-ASCII): a parser may refuse the line outright and close.
    static func isInvalidTarget(_ t: [UInt8]) -> Bool {
        t.contains { $0 <= 0x20 || $0 >= 0x7F || Array("\\\"<>^`{|}".utf8).contains($0) }
    }

    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    /// A random valid fragment of a healthy presentation (or of the broken one), as a URL path.
    mutating func fragmentURL(broken: Bool = false) -> (url: String, presentation: AbuseSite.Presentation) {
        let p = broken ? site.broken : pick(site.healthy)
        let r = pick(p.references)
        return ("/\(p.ism)/QualityLevels(\(r.bitrate))/Fragments(\(r.stream)=\(r.time))", p)
    }

    /// Upper/lower-cases the hex digits of percent-escapes at random (`%2e` → `%2E`).
    mutating func mixCase(_ s: String) -> String {
        guard s.contains("%"), chance(0.5) else { return s }
        var out = ""
        var hex = 0
        for c in s {
            if c == "%" {
                hex = 2
                out.append(c)
            } else if hex > 0 {
                hex -= 1
                out += chance(0.5) ? c.uppercased() : c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    func one(
        _ category: Probe.Category, _ bytes: [UInt8], _ allowed: Set<Int>, head: Bool = false,
        mayClose: Bool = false, halfClose: Bool = false
    ) -> Probe {
        Probe(
            category: category, bytes: bytes, expects: [.init(allowed: allowed, head: head)],
            mayClose: mayClose, halfClose: halfClose)
    }

    /// A GET (or, one time in five, HEAD) of `target`.
    mutating func get(_ category: Probe.Category, _ target: [UInt8], _ allowed: Set<Int>, headers: [String] = [])
        -> Probe
    {
        let head = chance(0.2)
        return one(
            category, Self.request(head ? "HEAD" : "GET", target, headers: headers), allowed, head: head,
            mayClose: Self.isInvalidTarget(target))
    }

    mutating func get(_ category: Probe.Category, _ target: String, _ allowed: Set<Int>, headers: [String] = [])
        -> Probe
    {
        get(category, Array(target.utf8), allowed, headers: headers)
    }

    // MARK: Categories

    static let dots = [
        "..", "%2e%2e", "%2E%2E", "%2e.", ".%2E", "%252e%252e", "%c0%ae%c0%ae", "%C0%AE.", "%e0%80%ae%e0%80%ae",
        "%c0%2e%c0%2e", "%u002e%u002e", "..%00", ".%00.", "..%01", "...", "..;", "..%20", "%2e%2e%00", "..%ff",
        "%%32%65%%32%65", "%252E%252E", ".", "%2e", "..\\", "%2e%2e%5c",
    ]
    static let separators = [
        "/", "%2f", "%2F", "%5c", "%5C", "\\", "%252f", "%c0%af", "%e0%80%af", "//", "/./", "/%2e/", ";/", "%00/",
    ]

    /// `..` in every encoding, separators in every encoding, towards system files and the sentinel.
    mutating func traversal(count: Int) -> [Probe] {
        let p = pick(site.healthy)
        let goals = [
            "etc/passwd", "etc/shadow", "proc/self/environ", "proc/self/cmdline", "root/.ssh/id_rsa",
            "\(site.outsideName)/sentinel.txt", "\(site.outsideName)%2fsentinel.txt", "escape.txt",
            "escape-dir/sentinel.txt", "etc/passwd%00.xml", "etc/passwd%00", "etc%2fpasswd", "etc\\passwd",
            "clientaccesspolicy.xml/../../../etc/passwd",
        ]
        let starts = [
            "/", "//", "/\(p.prefix)", "/\(p.ism)/", "/\(p.ism)/QualityLevels(1)/", "http://127.0.0.1:\(site.port)/",
            "HTTP://127.0.0.1/", "http://evil.example/", "https://127.0.0.1/", "/%2e/", "/./", "/static/",
            "/\(site.broken.prefix)",
        ]
        var out: [Probe] = []
        // Fixed cases first: absolute paths, the escaping symlinks, odd target forms.
        let fixed: [String] =
            [
                "/etc/passwd", "/\(site.outsideAbsolute)/sentinel.txt", "\(site.outsideAbsolute)/sentinel.txt",
                "file:///etc/passwd", "*", "etc/passwd", "\\etc\\passwd", "/..", "/.", "/%2e%2e", "/~root",
                "/%7eroot/.bashrc", "/%2fetc%2fpasswd", "//etc/passwd", "///etc/passwd", "/%00", "/%00/etc/passwd",
                "/escape-dir/", "/escape-dir", "/escape-dir/%2e%2e/\(site.outsideName)/sentinel.txt",
                "http://127.0.0.1:\(site.port)", "http://", "http:///etc/passwd", "//127.0.0.1/etc/passwd",
                "/\(site.outsideName)/sentinel.txt", "/../\(site.outsideName)/sentinel.txt",
            ] + site.escapes
        for f in fixed { out.append(get(.traversal, f, Self.notFound)) }
        for e in site.escapes {
            out.append(get(.traversal, e, Self.notFound, headers: ["Range: bytes=0-"]))
            out.append(get(.traversal, e.replacingOccurrences(of: "/", with: "%2f"), Self.notFound))
        }
        while out.count < count {
            let depth = Int.random(in: 1...10, using: &rng)
            var path = pick(starts)
            for _ in 0..<depth {
                path += pick(Self.dots) + pick(Self.separators)
            }
            path += pick(goals)
            path = mixCase(path)
            out.append(get(.traversal, path, Self.notFound))
        }
        return out
    }

    static let numberForms: [@Sendable (Int64) -> String] = [
        { _ in "99999999999999999999999999" }, { _ in "9223372036854775807" }, { _ in "9223372036854775808" },
        { _ in "18446744073709551616" }, { _ in "-9223372036854775808" }, { _ in "-1" }, { _ in "-0" },
        { "-\($0)" }, { "+\($0)" }, { "0\($0)" }, { "00000000000000000000\($0)" }, { "0x\(String($0, radix: 16))" },
        { "\($0).0" }, { "\($0).5" }, { "\($0)e0" }, { _ in "1e7" }, { _ in "" }, { " \($0)" }, { "%20\($0)" },
        { "\($0)%20" }, { "%2b\($0)" }, { _ in "%2d1" }, { "\($0),\($0)" }, { _ in "NaN" }, { _ in "inf" },
        { _ in "%d9%a3" }, { _ in "%ef%bc%91%ef%bc%92" }, { "\($0)%00" }, { "\($0))" }, { "(\($0)" }, { "\($0);x" },
        { "\($0 &* 2)" }, { "\($0 &+ 1)" }, { "\($0)" }, { "\($0)\($0)\($0)\($0)" }, { _ in "0" },
        { _ in String(repeating: "9", count: 300) }, { _ in "1_000" }, { "\($0)=\($0)" },
    ]
    static let nouns = [
        "Fragments", "FragmentInfo", "RawFragments", "KeyFrames", "fragments", "FRAGMENTS", "Fragment", "Fragments ",
    ]

    /// Huge, negative, signed, hex, float, empty and padded numbers in `QualityLevels(…)` and `Fragments(…=…)`.
    mutating func numbers(count: Int) -> [Probe] {
        var out: [Probe] = []
        while out.count < count {
            let broken = chance(0.15)
            let p = broken ? site.broken : pick(site.healthy)
            let r = pick(p.references)
            var bitrate = String(r.bitrate)
            var time = String(r.time)
            var stream = r.stream
            var noun = "Fragments"
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bitrate = pick(Self.numberForms)(Int64(r.bitrate))
            case 1: time = pick(Self.numberForms)(r.time)
            case 2:
                bitrate = pick(Self.numberForms)(Int64(r.bitrate))
                time = pick(Self.numberForms)(r.time)
            case 3:
                noun = pick(Self.nouns)
                time = pick(Self.numberForms)(r.time)
            case 4:
                stream = pick([
                    "", "=", "video=", "\(r.stream)=\(r.time)=", "vid eo", "%76ideo",
                    String(repeating: "v", count: 200),
                    "audio", "video%3d", "\(r.stream)%00", "text", "1video", "vid_eo", "VIDEO",
                ])
            default:
                noun = pick(Self.nouns)
            }
            let target = "/\(p.ism)/QualityLevels(\(bitrate))/\(noun)(\(stream)=\(time))"
            out.append(get(.numbers, target, broken ? Self.smooth.union([502]) : Self.smooth))
        }
        return out
    }

    /// Raw 0x80–0xFF bytes in the target, and percent-encoded invalid UTF-8 (overlong, surrogates, truncated).
    mutating func badUTF8(count: Int) -> [Probe] {
        let encoded = [
            "%ff", "%fe%ff", "%c3%28", "%a0%a1", "%e2%28%a1", "%f0%28%8c%bc", "%ed%a0%80", "%f4%90%80%80", "%c0%80",
            "%f8%88%80%80%80", "%80", "%c3", "%e2%82", "%f0%9f%92",
        ]
        let odd = ["%e2%80%ae", "%ef%bb%bf", "%f0%9f%92%a9", "%c3%a9", "%e2%80%8b", "%ef%bf%bd"]
        var out: [Probe] = []
        while out.count < count {
            let base: String
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: base = "/\(pick(site.healthy).ism)/Manifest"
            case 1: base = fragmentURL().url
            case 2: base = "/" + pick(site.staticFiles).path
            default: base = "/\(pick(site.healthy).prefix)x"
            }
            var bytes = Array(base.utf8)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0, 1:  // raw high bytes at random places after the first slash
                for _ in 0..<Int.random(in: 1...8, using: &rng) {
                    let at = Int.random(in: 1...bytes.count, using: &rng)
                    bytes.insert(UInt8.random(in: 0x80...0xFF, using: &rng), at: at)
                }
                out.append(get(.badUTF8, bytes, Self.smooth))
            case 2:
                let at = Int.random(in: 1...bytes.count, using: &rng)
                bytes.insert(contentsOf: Array(pick(encoded).utf8), at: at)
                out.append(get(.badUTF8, bytes, Self.smooth))
            default:
                let at = Int.random(in: 1...bytes.count, using: &rng)
                bytes.insert(contentsOf: Array(pick(odd).utf8), at: at)
                // Valid UTF-8 (but odd): a well-formed request, never a parser refusal.
                out.append(get(.badUTF8, bytes, Self.smooth))
            }
        }
        // Raw bytes in header values.
        for _ in 0..<(count / 10) {
            let value = (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0x80...0xFF, using: &rng)
            }
            var r = Array("GET /\(pick(site.healthy).ism)/Manifest HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: ".utf8)
            r += value + Array("\r\nConnection: close\r\n\r\n".utf8)
            out.append(one(.badUTF8, r, [200, 400], mayClose: true))
        }
        return out
    }

    /// Smooth URLs with parts missing or doubled.
    mutating func missingParts(count: Int) -> [Probe] {
        var out: [Probe] = []
        while out.count < count {
            let broken = chance(0.2)
            let p = broken ? site.broken : pick(site.healthy)
            let r = pick(p.references)
            let (i, b, s, t) = (p.ism, r.bitrate, r.stream, r.time)
            let forms = [
                "/\(i)/QualityLevels(\(b))/", "/\(i)/QualityLevels(\(b))", "/\(i)/QualityLevels(\(b))/Fragments(\(s))",
                "/\(i)/QualityLevels(\(b))/Fragments(\(s)=\(t)", "/\(i)/QualityLevels(\(b)/Fragments(\(s)=\(t))",
                "/\(i)/QualityLevels/Fragments(\(s)=\(t))", "/\(i)/QualityLevels()/Fragments()",
                "/\(i)/QualityLevels(\(b))/Fragments", "/\(i)/QualityLevels(\(b))/Fragments(",
                "/\(i)/QualityLevels(\(b))/()", "/\(i)/()", "/\(i)/", "/\(i)/Manifest/", "/\(i)//Manifest",
                "/\(i)/Manifest?", "/\(i)/Manifest?a=%zz", "/\(i)/Manifest%00", "/\(i)/Manifest%2f",
                "/\(i)/QualityLevels(\(b))//Fragments(\(s)=\(t))", "/\(i)/QualityLevels(\(b))/Fragments(\(s)=\(t))/",
                "/x.ism/QualityLevels(1)/", "/x.ism/QualityLevels(1)/Fragments(video=0)", "/.ism/Manifest",
                "/\(p.prefix).ism/Manifest", "/\(i)/QualityLevels(\(b))/Fragments(=)",
                "/\(i)/QualityLevels(\(b))/Fragments(\(s)=\(t))?q=1",
                "/\(i)/QualityLevels(\(b))/FragmentInfo(\(s)=\(t))",
                "/\(i)/QualityLevels(\(b))/KeyFrames(\(s)=\(t))", "/\(i)/QualityLevels(\(b))/Fragments(\(s)=\(t))%00",
                "/\(i)/QualityLevels(\(b))/Fragments(\(s)=\(t))/Manifest", "/\(i)/Manifest/QualityLevels(\(b))",
                "/\(i)/QualityLevels(\(b))QualityLevels(\(b))/Fragments(\(s)=\(t))",
                "/\(i)/QualityLevels(\(b))/Fragments(\(s)=\(t))#x",
                "/\(i)/%51ualityLevels(\(b))/Fragments(\(s)=\(t))",
                "/\(i)/QualityLevels%28\(b)%29/Fragments%28\(s)=\(t)%29",
                "/\(p.prefix)", "/\(p.prefix.dropLast())", "/\(i)/Manifest/..", "/\(i)/QualityLevels(\(b))/..",
            ]
            out.append(get(.missingParts, pick(forms), broken ? Self.smooth.union([502]) : Self.smooth))
        }
        return out
    }

    /// Targets just over 4096 bytes up to 1 MiB (414), and exactly 4096 (not too long).
    mutating func longURLs(count: Int) -> [Probe] {
        var out: [Probe] = []
        let filler = ["a", "%2e", "../", "%c0%ae", "\(pick(site.healthy).ism)/", "9"]
        for k in 0..<count {
            let length: Int
            var allowed: Set<Int> = [414]
            var mayClose = false
            switch k % 20 {
            case 0:
                length = 4096  // the longest accepted: answered like any other target
                allowed = [200, 400, 404]
            case 1:
                length = pick([64 << 10, 200 << 10, 1 << 20])
                allowed = [400, 414, 431]
                mayClose = true
            default: length = Int.random(in: 4097...24_000, using: &rng)
            }
            var t = chance(0.2) ? "/clientaccesspolicy.xml?" : "/"
            let piece = pick(filler)
            while t.utf8.count < length { t += piece }
            let target = Array(t.utf8.prefix(length))
            var probe = get(.longURL, target, allowed)
            probe.mayClose = probe.mayClose || mayClose
            out.append(probe)
        }
        return out
    }

    /// 64 KiB header lines, header sections over the parser's limits, many headers, malformed header syntax and
    /// request-smuggling framing.
    mutating func longHeaders(count: Int) -> [Probe] {
        let manifest = "/\(pick(site.healthy).ism)/Manifest"
        let ok: Set<Int> = [200, 304]
        let refused: Set<Int> = [400, 413, 431]
        var out: [Probe] = []
        for k in 0..<count {
            let big = String(repeating: "x", count: 64 << 10)
            switch k % 22 {
            case 0: out.append(get(.longHeaders, manifest, ok, headers: ["X-Big: " + big]))
            case 1: out.append(get(.longHeaders, manifest, ok, headers: ["Cookie: " + String(big.prefix(60_000))]))
            case 2:
                var p = get(
                    .longHeaders, manifest, refused, headers: ["X-Huge: " + String(repeating: "y", count: 100 << 10)])
                p.mayClose = true
                out.append(p)
            case 3:
                var p = get(.longHeaders, manifest, refused, headers: (0..<2000).map { "X-H\($0): v" })
                p.mayClose = true
                out.append(p)
            case 4: out.append(get(.longHeaders, manifest, ok.union(refused), headers: (0..<900).map { "X-H\($0): v" }))
            case 5:
                var p = get(
                    .longHeaders, manifest, ok.union(refused),
                    headers: [String(repeating: "N", count: 64 << 10) + ": v"])
                p.mayClose = true
                out.append(p)
            case 6:
                let ranges = (0..<6000).map { "\($0)-\($0)" }.joined(separator: ",")
                out.append(get(.longHeaders, manifest, [200], headers: ["Range: bytes=" + ranges]))
            case 7:
                let tags = (0..<3000).map { "\"tag\($0)\"" }.joined(separator: ", ")
                out.append(get(.longHeaders, manifest, [200], headers: ["If-None-Match: " + tags]))
            case 8:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "X-Fold: a\r\n  folded\r\nConnection: close\r\n\r\n",
                        ok.union(refused)))
            case 9:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "NoColonHere\r\nConnection: close\r\n\r\n",
                        refused))
            case 10:
                out.append(
                    raw(
                        .longHeaders, "GET \(manifest) HTTP/1.1\r\nHost : x\r\nConnection: close\r\n\r\n",
                        ok.union(refused)))
            case 11:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "X-Nul: a\u{0}b\r\nConnection: close\r\n\r\n",
                        ok.union(refused)))
            case 12:
                out.append(
                    raw(.longHeaders, "GET \(manifest) HTTP/1.1\nHost: x\nConnection: close\n\n", ok.union(refused)))
            case 13:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Host: y\r\nConnection: close\r\n\r\n",
                        ok.union(refused)))
            case 14:
                out.append(
                    raw(.longHeaders, "GET \(manifest) HTTP/1.1\r\nConnection: close\r\n\r\n", ok.union(refused)))
            case 15:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Length: -1\r\nConnection: close\r\n\r\n",
                        ok.union(refused)))
            case 16:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Length: 1, 2\r\nConnection: close\r\n\r\nab",
                        ok.union(refused)))
            case 17:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Length: 99999999999999999999999\r\nConnection: close\r\n\r\n",
                        ok.union(refused)))
            case 18:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
                        ok.union(refused)))
            case 19:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n",
                        ok.union(refused)))
            case 20:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Transfer-Encoding: gzip, chunked, identity\r\nConnection: close\r\n\r\n0\r\n\r\n",
                        ok.union(refused)))
            default:
                out.append(
                    raw(
                        .longHeaders,
                        "GET \(manifest) HTTP/1.1\r\nHost: x\r\n"
                            + "Content-Length: 5\r\nConnection: close\r\n\r\nhello",
                        ok.union(refused)))
            }
        }
        return out
    }

    /// Raw text sent as is, then end-of-stream; a refusal may close without an answer.
    func raw(_ category: Probe.Category, _ text: String, _ allowed: Set<Int>) -> Probe {
        one(category, Array(text.utf8), allowed, mayClose: true, halfClose: true)
    }

    /// Unknown, lower-case, overlong and malformed methods, and methods with bodies.
    mutating func methods(count: Int) -> [Probe] {
        let target = "/\(pick(site.healthy).ism)/Manifest"
        let refused: Set<Int> = [400, 405, 501]
        var out: [Probe] = []
        let fixed: [(String, Set<Int>)] = [
            ("FOO", refused), ("get", refused), ("Get", refused), ("PUT", refused), ("POST", refused),
            ("DELETE", refused), ("PATCH", refused), ("TRACE", refused), ("PROPFIND", refused), ("MKCOL", refused),
            ("BREW", refused), ("GET/", refused), ("G@T", refused), ("GE\u{7F}T", refused), ("OPTIONS", [204]),
            ("HEAD", [200]), ("GET", [200]), (String(repeating: "X", count: 5000), refused), ("-", refused),
            ("M-SEARCH", refused), ("PURGE", refused), ("SOURCE", refused), ("QUERY", refused),
        ]
        var k = 0
        while out.count < count {
            defer { k += 1 }
            switch k % 4 {
            case 0, 1:
                let (m, allowed) = fixed[(k / 2) % fixed.count]
                let bytes = Self.request(m, Array(target.utf8))
                out.append(
                    one(.methods, bytes, allowed, head: m == "HEAD", mayClose: !allowed.isSubset(of: [200, 204])))
            case 2:
                let m = String(
                    (0..<Int.random(in: 1...20, using: &rng)).map { _ in
                        Character(Unicode.Scalar(UInt8.random(in: 0x41...0x5A, using: &rng)))
                    })
                let allowed = ["GET", "HEAD", "OPTIONS"].contains(m) ? [200, 204] : refused
                out.append(
                    one(.methods, Self.request(m, Array(target.utf8)), allowed, head: m == "HEAD", mayClose: true))
            default:
                let m = pick(["POST", "PUT", "PATCH", "DELETE"])
                let body = String(repeating: "b", count: Int.random(in: 0...20_000, using: &rng))
                let bytes =
                    Self.request(m, Array(target.utf8), headers: ["Content-Length: \(body.utf8.count)"])
                    + Array(body.utf8)
                out.append(one(.methods, bytes, refused, mayClose: true))
            }
        }
        return out
    }

    /// HTTP/0.9, unknown versions, garbage request lines, other protocols' greetings, random bytes.
    mutating func requestLines(count: Int) -> [Probe] {
        let m = "/\(pick(site.healthy).ism)/Manifest"
        let any: Set<Int> = [200, 400, 404, 405, 505]
        let fixed: [String] = [
            "GET /\r\n", "GET \(m)\r\n", "GET / HTTP/0.9\r\n\r\n", "GET \(m) HTTP/1.0\r\n\r\n",
            "GET / HTTP/2.0\r\n\r\n",
            "GET / HTTP/1.2\r\n\r\n", "GET / HTTP/1.10\r\n\r\n", "GET / HTTP/11\r\n\r\n", "GET / HTTP/a.b\r\n\r\n",
            "GET / http/1.1\r\n\r\n", "GET / HTTPS/1.1\r\n\r\n", "GET / HTTP/1.1 extra\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET /\tHTTP/1.1\r\n\r\n", "\r\n\r\nGET \(m) HTTP/1.1\r\nConnection: close\r\n\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "GET", "GET /", "GET / HTTP/1.1",
            "GET / HTTP/1.1\r\n", String(repeating: "\r\n", count: 100),
            String(repeating: " ", count: 10_000) + "\r\n\r\n",
            "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.\r\n\r\n", "GET / HTTP/\r\n\r\n", "GET / H\r\n\r\n",
            " GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\r\n\r\n", "GET /\u{0} HTTP/1.1\r\n\r\n",
            "\u{0}\u{0}\u{0}\u{0}",
            "GET http://127.0.0.1:\(site.port)\(m) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            "GET /? HTTP/1.1\r\n\r\n", "GET ? HTTP/1.1\r\n\r\n", "GET # HTTP/1.1\r\n\r\n", "GET HTTP/1.1\r\n\r\n",
            "CONNECT 127.0.0.1:\(site.port) HTTP/1.1\r\nHost: 127.0.0.1:\(site.port)\r\n\r\n",
            "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n\r\n",
            "GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAA\r\n\r\n",
        ]
        var out: [Probe] = []
        for f in fixed { out.append(raw(.requestLine, f, any)) }
        // A TLS ClientHello start.
        out.append(
            one(
                .requestLine,
                [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + Array(repeating: 0x41, count: 64),
                any, mayClose: true, halfClose: true))
        while out.count < count {
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:  // random bytes
                let bytes = (0..<Int.random(in: 1...2000, using: &rng)).map { _ in
                    UInt8.random(in: 0...255, using: &rng)
                }
                out.append(one(.requestLine, bytes, any, mayClose: true, halfClose: true))
            case 1:  // random printable junk lines
                let line = String(
                    (0..<Int.random(in: 1...300, using: &rng)).map { _ in
                        Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
                    })
                out.append(raw(.requestLine, line + "\r\n\r\n", any))
            default:  // a valid request with one byte of its request line replaced
                var bytes = Self.request("GET", m)
                let at = Int.random(in: 0..<min(bytes.count, m.utf8.count + 14), using: &rng)
                bytes[at] = UInt8.random(in: 0...255, using: &rng)
                out.append(one(.requestLine, bytes, any, mayClose: true, halfClose: true))
            }
        }
        return out
    }

    static let rangeForms: [@Sendable (Int) -> String] = [
        { _ in "bytes=-0" }, { _ in "bytes=0-" }, { _ in "bytes=0-0" }, { _ in "bytes=-1" }, { "bytes=\($0)-" },
        { "bytes=\($0 - 1)-" }, { "bytes=\($0)-\($0 + 10)" }, { "bytes=0-\($0 * 10)" },
        { _ in "bytes=99999999999999999999-" },
        { _ in "bytes=-99999999999999999999" }, { _ in "bytes=9223372036854775807-" },
        { _ in "bytes=9223372036854775806-9223372036854775807" }, { _ in "bytes=-9223372036854775808" },
        { _ in "bytes=-1-2" }, { _ in "bytes=5-1" }, { _ in "bytes=--1" }, { _ in "bytes=1--2" },
        { _ in "bytes=0x10-0x20" },
        { _ in "bytes=1e3-" }, { _ in "bytes=+1-2" }, { _ in "bytes= 1 - 2 " }, { _ in "bytes=1-2,3-4" },
        { _ in "bytes=" + String(repeating: "0-0,", count: 2000) + "0-0" }, { _ in "bytes=," }, { _ in "bytes=" },
        { _ in "bytes" }, { _ in "items=0-1" }, { _ in "BYTES=0-1" }, { _ in "bytes=a-b" }, { _ in "bytes=0-1;x" },
        { _ in "bytes=-0,-0" }, { "bytes=\($0 / 2)-\($0 / 2)" }, { "bytes=-\($0)" }, { "bytes=-\($0 + 1)" },
        { _ in "bytes=0-" + String(repeating: "9", count: 40) }, { _ in "bytes=\u{663}-\u{664}" },
        { "bytes=\($0 - 1)-\($0 - 1)" }, { _ in "bytes=1-0" }, { _ in "bytes=0--0" },
    ]

    /// `Range` abuse on static files (small and large), the Manifest and fragments.
    mutating func ranges(count: Int) -> [Probe] {
        var out: [Probe] = []
        while out.count < count {
            var allowed: Set<Int> = [200, 206, 416]
            let target: String
            switch Int.random(in: 0..<5, using: &rng) {
            case 0, 1: target = "/" + pick(site.staticFiles).path
            case 2: target = "/\(pick(site.healthy).ism)/Manifest"
            case 3: target = fragmentURL().url
            default:
                target = fragmentURL(broken: true).url
                allowed = [502]
            }
            // The length the ranges are made from is only a guess for most targets: any 200/206/416 is fine,
            // the response checks below hold Content-Range to the body actually sent.
            let guess = Int.random(in: 1...3_000_000, using: &rng)
            var headers = ["Range: " + pick(Self.rangeForms)(guess)]
            if chance(0.1) { headers.append("Range: " + pick(Self.rangeForms)(guess)) }
            if chance(0.1) { headers.append("If-Range: \"nope\"") }
            if chance(0.1) { headers.append("If-None-Match: *") }
            if headers.contains("If-None-Match: *") && allowed != [502] { allowed.insert(304) }
            out.append(get(.range, target, allowed, headers: headers))
        }
        return out
    }

    /// Keep-alive connections carrying 5–20 requests written at once; some end in a garbage request.
    mutating func pipelined(batches: Int) -> [Probe] {
        var out: [Probe] = []
        for k in 0..<batches {
            var bytes: [UInt8] = []
            var expects: [Probe.Expect] = []
            let n = Int.random(in: 5...20, using: &rng)
            for j in 0..<n {
                let last = j == n - 1
                let head = chance(0.15)
                let method = head ? "HEAD" : "GET"
                var allowed: Set<Int>
                var target: String
                var headers: [String] = []
                switch Int.random(in: 0..<6, using: &rng) {
                case 0, 1:
                    target = fragmentURL().url
                    allowed = [200]
                case 2:
                    target = "/\(pick(site.healthy).ism)/Manifest"
                    allowed = [200, 206]
                    headers = ["Range: bytes=\(Int.random(in: 0...50, using: &rng))-"]
                case 3:
                    target = "/" + pick(Self.dots) + "/" + pick(Self.dots) + "/etc/passwd"
                    target = target.replacingOccurrences(of: "\\", with: "%5c")
                    allowed = Self.notFound
                case 4:
                    let r = pick(site.healthy[0].references)
                    let bitrate = pick(Self.numberForms)(Int64(r.bitrate))
                    target = "/\(site.healthy[0].ism)/QualityLevels(\(bitrate))/Fragments(\(r.stream)=\(r.time))"
                    allowed = Self.smooth
                default:
                    target = fragmentURL(broken: true).url
                    allowed = [502]
                }
                if Self.isInvalidTarget(Array(target.utf8)) { target = "/%20" }
                if target == "/%20" { allowed = Self.notFound }
                bytes += Self.request(method, Array(target.utf8), headers: headers, keepAlive: !last)
                expects.append(.init(allowed: allowed, head: head, hostile: !allowed.isSubset(of: [200, 206])))
            }
            var probe = Probe(category: .pipelined, bytes: bytes, expects: expects)
            if k % 8 == 7 {
                // A garbage request after the valid ones: those are answered, then 400 (or a close).
                probe.bytes = Array(probe.bytes.dropLast(Array("Connection: close\r\n\r\n".utf8).count)) + [13, 10]
                probe.bytes += Array("GARBAGE \u{1}\u{2} NOT HTTP\r\n\r\n".utf8)
                probe.expects.append(.init(allowed: [400]))
                probe.mayClose = true
                probe.halfClose = true
            }
            out.append(probe)
        }
        return out
    }

    /// Valid requests sent a byte at a time (10–25 ms apart): slow, but answered.
    mutating func slowloris(count: Int) -> [Probe] {
        (0..<count).map { _ in
            let (url, _) = fragmentURL()
            var p = one(
                .slowloris,
                Self.request("GET", Array(url.utf8), headers: ["X-Slow: \(String(repeating: "s", count: 20))"]), [200])
            p.byteDelayMilliseconds = Int.random(in: 10...25, using: &rng)
            return p
        }
    }
}
