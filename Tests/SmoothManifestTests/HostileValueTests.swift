import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SmoothManifest
import Testing

/// Issue 11 §1 for the manifest readers and the origin's URL parser: every count, length and number a
/// `.ism`/`.ismc` or a fragment path carries, set to 0, 1, the cap, one past it, `UInt32.max` and beyond
/// `Int64`, plus deep nesting, gives a thrown `ManifestError` (or nil for a path) or a valid parse, never a
/// trap, and the memory a parse holds stays under a fixed bound.
@Suite struct HostileValueTests {
    static let memoryBound = 256 << 20
    /// Under AddressSanitizer (scripts/sanitize) freed blocks wait in its quarantine (256 MiB by default) before
    /// reuse, so resident growth measures the quarantine, not what a parse holds; the chunk-table bound below
    /// still applies there.
    static let quarantinedAllocator = dlsym(nil, "__asan_init") != nil

    /// Peak resident memory (VmHWM) in bytes; 0 without /proc.
    static func peakResident() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let kB = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(whereSeparator: \.isWhitespace).dropFirst().first
        return kB.flatMap { Int($0) }.map { $0 * 1024 } ?? 0
    }

    /// Parses `xml` as a client and as a server manifest through the fuzz entry too; records broken invariants,
    /// chunk tables above the bound and resident growth above it. Returns the client reader's error code.
    static func parse(_ xml: String, limits: ReadLimits = ReadLimits()) -> ManifestError.Code? {
        let bytes = Array(xml.utf8)
        let peak = peakResident()
        _ = try? ServerManifest(xml: bytes, limits: limits)
        #expect(FuzzEntry.manifestReader(bytes).isEmpty)
        defer {
            if !quarantinedAllocator {
                #expect(peakResident() - peak < memoryBound, "resident peak grew by \(peakResident() - peak) bytes")
            }
        }
        do {
            let m = try ClientManifest(xml: bytes, limits: limits)
            let held = m.streams.reduce(0) { $0 + $1.chunks.capacity * MemoryLayout<Chunk>.stride }
            #expect(held < memoryBound, "a parse of \(bytes.count) bytes holds \(held) bytes of chunks")
            return nil
        } catch {
            return error.code
        }
    }

    static func ismc(streams: Int = 1, chunks: String = #"<c t="0" d="20000000"/>"#, chunkCount: String? = nil,
                     levels: String = "1", extra: String = "") -> String {
        let stream = (0..<streams).map { k in
            #"<StreamIndex Type="video" Name="v\#(k)" QualityLevels="\#(levels)" \#(chunkCount.map { #"Chunks="\#($0)""# } ?? "")"#
                + #" Url="QualityLevels({bitrate})/Fragments(v\#(k)={start time})" \#(extra)>"#
                + #"<QualityLevel Index="0" Bitrate="1000" FourCC="H264" CodecPrivateData="00000001670000000168ee"/>"#
                + chunks + "</StreamIndex>"
        }.joined()
        return #"<SmoothStreamingMedia MajorVersion="2" MinorVersion="2" Duration="20000000">"# + stream
            + "</SmoothStreamingMedia>"
    }

    static let numbers = ["0", "1", "999999", "1000000", "1000001", "4000001", "4294967295", "9223372036854775807",
                          "9223372036854775808", "99999999999999999999", "-1", "+1", "1e9", "0x10", ""]

    @Test(arguments: numbers)
    func repeatCountsAndTimes(_ n: String) {
        // r (fragments sharing a duration), t, d and the declared Chunks/QualityLevels counts.
        let cases = [
            Self.ismc(chunks: #"<c t="0" d="1" r="\#(n)"/>"#),
            Self.ismc(chunks: #"<c t="\#(n)" d="20000000"/>"#),
            Self.ismc(chunks: #"<c t="0" d="\#(n)"/>"#),
            Self.ismc(chunks: #"<c t="9223372036854775806" d="\#(n)" r="2"/>"#),
            Self.ismc(chunkCount: n),
            Self.ismc(levels: n),
            Self.ismc(extra: #"MaxWidth="\#(n)" DisplayHeight="\#(n)" TimeScale="\#(n)""#),
        ]
        for xml in cases { _ = Self.parse(xml) }
        if n == "1000001" {
            #expect(Self.parse(Self.ismc(chunks: #"<c t="0" d="1" r="1000001"/>"#)) == .limitExceeded)
        }
    }

    /// One small document may not expand to more fragments than the document cap, over all its streams.
    @Test func manyStreamsShareTheChunkCap() {
        let six = Self.ismc(streams: 6, chunks: #"<c t="0" d="1" r="1000000"/>"#)
        #expect(six.utf8.count < 4096)
        #expect(Self.parse(six) == .limitExceeded)
        #expect(Self.parse(Self.ismc(streams: 4, chunks: #"<c t="0" d="1" r="1000000"/>"#)) == nil)
        #expect(Self.parse(Self.ismc(streams: 3, chunks: #"<c t="0" d="1" r="2"/>"#),
                           limits: ReadLimits(maxChunks: 5)) == .limitExceeded)
    }

    @Test func hugeLengthsAndNesting() {
        let longValue = String(repeating: "A", count: 1 << 20)
        #expect(Self.parse(Self.ismc(extra: #"Language="\#(longValue)""#)) == nil)
        #expect(Self.parse(Self.ismc(extra: #"\#(String(repeating: "n", count: 300))="1""#)) == .limitExceeded)
        let attributes = (0..<100).map { #"a\#($0)="1""# }.joined(separator: " ")
        #expect(Self.parse(Self.ismc(extra: attributes)) == .limitExceeded)
        for depth in [31, 32, 33, 1000, 100_000] {
            let xml = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
            let code = Self.parse(xml)
            #expect(code == (depth <= 32 ? .unexpectedElement : .limitExceeded), "depth \(depth): \(String(describing: code))")
        }
        let tooBig = String(repeating: " ", count: (16 << 20) + 1)
        #expect(Self.parse(Self.ismc() + tooBig) == .limitExceeded)
        #expect(Self.parse(#"<smil><body><switch>\#(String(repeating: "<video/>", count: 600_000))</switch></body></smil>"#)
            == .limitExceeded)
    }

    @Test func serverManifestNumbers() {
        for n in Self.numbers {
            let xml = #"<smil><body><switch><video src="a.ismv" systemBitrate="\#(n)"><param name="trackID" value="\#(n)"/></video></switch></body></smil>"#
            _ = try? ServerManifest(xml: Array(xml.utf8))
            #expect(FuzzEntry.manifestReader(Array(xml.utf8)).isEmpty)
        }
    }

    @Test(arguments: numbers)
    func fragmentRequestNumbers(_ n: String) {
        for path in ["QualityLevels(\(n))/Fragments(video=0)", "QualityLevels(1000)/Fragments(video=\(n))",
                     "QualityLevels(\(n))/KeyFrames(audio_eng=\(n))", "QualityLevels(\(n),a=1)/Fragments(video=\(n))"] {
            #expect(FuzzEntry.fragmentRequest(Array(path.utf8)).isEmpty)
            let parsed = FragmentRequest(path: path)
            if let parsed {
                #expect(parsed.bitrate > 0 && parsed.time >= 0, "\(path) → \(parsed)")
                #expect(n.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && n.count <= 18, "\(path) parsed")
            }
        }
        let plainDecimal = !n.isEmpty && n.count <= 18 && n.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
        #expect((FragmentRequest(path: "QualityLevels(1000)/Fragments(video=\(n))") != nil) == plainDecimal, "time \(n)")
    }

    @Test func fragmentRequestLengths() {
        let long = String(repeating: "9", count: 1 << 16)
        for path in ["QualityLevels(\(long))/Fragments(video=0)", "QualityLevels(1)/Fragments(\(long)=0)",
                     String(repeating: "/", count: 1 << 16), String(repeating: "QualityLevels(", count: 10_000)] {
            #expect(FragmentRequest(path: path) == nil)
            #expect(FuzzEntry.fragmentRequest(Array(path.utf8)).isEmpty)
        }
    }
}
