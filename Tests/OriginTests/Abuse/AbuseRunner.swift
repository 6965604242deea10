import Foundation
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Counts of everything the hostile clients saw.
struct AbuseTally: Sendable {
    /// Requests written (a pipelined connection counts each request).
    var requests = 0
    var connections = 0
    var statuses: [Int: Int] = [:]
    var byCategory: [Probe.Category: [Int: Int]] = [:]
    var requestsByCategory: [Probe.Category: Int] = [:]
    /// Connections closed by the server without (all) answers, where that is acceptable (unparseable input).
    var closedWithoutResponse: [Probe.Category: Int] = [:]
    /// The first few of those requests.
    var closedSamples: [String] = []
    /// Requests that are malformed or hostile (the valid requests mixed into pipelines are not).
    var hostileRequests = 0
    /// 5xx other than the documented 502 of the corrupt presentation.
    var unexpected5xx = 0
    /// The documented 502s (fragments of the corrupt presentation).
    var documented502 = 0
    /// Responses holding the sentinel marker or `/etc/passwd` content.
    var leaks = 0
    var bytesReceived = 0
    /// Every failed expectation (the first few are kept in `violations`).
    var violationCount = 0
    var violations: [String] = []

    mutating func violation(_ text: String) {
        violationCount += 1
        if violations.count < 40 { violations.append(text) }
    }

    mutating func merge(_ o: AbuseTally) {
        requests += o.requests
        connections += o.connections
        statuses.merge(o.statuses, uniquingKeysWith: +)
        for (k, v) in o.byCategory { byCategory[k, default: [:]].merge(v, uniquingKeysWith: +) }
        requestsByCategory.merge(o.requestsByCategory, uniquingKeysWith: +)
        closedWithoutResponse.merge(o.closedWithoutResponse, uniquingKeysWith: +)
        closedSamples += o.closedSamples.prefix(max(0, 10 - closedSamples.count))
        hostileRequests += o.hostileRequests
        unexpected5xx += o.unexpected5xx
        documented502 += o.documented502
        leaks += o.leaks
        bytesReceived += o.bytesReceived
        violationCount += o.violationCount
        violations += o.violations.prefix(max(0, 40 - violations.count))
    }
}

enum AbuseRunner {
    static let readTimeout = 15.0

    /// A printable excerpt of raw request bytes for failure messages.
    static func excerpt(_ bytes: [UInt8], _ limit: Int = 160) -> String {
        var s = ""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x20..<0x7F: s.append(Character(Unicode.Scalar(b)))
            case 13: s += "\\r"
            case 10: s += "\\n"
            default: s += String(format: "\\x%02X", b)
            }
        }
        return bytes.count > limit ? s + "…(\(bytes.count) bytes)" : s
    }

    private static func tag(_ probe: Probe, _ i: Int) -> String { "[\(probe.category.rawValue)] request \(i + 1)" }

    /// Sends one probe on a fresh connection and checks every answer.
    static func run(_ probe: Probe, port: Int, markers: [[UInt8]], into t: inout AbuseTally) {
        t.connections += 1
        t.requests += probe.expects.count
        t.hostileRequests += probe.expects.filter(\.hostile).count
        t.requestsByCategory[probe.category, default: 0] += probe.expects.count
        var connection: RawConnection?
        for attempt in 0..<20 {
            do {
                connection = try RawConnection(port: port, timeout: readTimeout)
                break
            } catch {
                // Under load the accept queue can overflow for a moment; a refused connect is not an answer.
                usleep(useconds_t(5_000 * (attempt + 1)))
            }
        }
        guard let c = connection else {
            t.violation("[\(probe.category.rawValue)] cannot connect: \(excerpt(probe.bytes))")
            return
        }
        if probe.byteDelayMilliseconds > 0 {
            for b in probe.bytes {
                guard c.send([b]) else { break }
                usleep(useconds_t(probe.byteDelayMilliseconds * 1000))
            }
        } else {
            c.send(probe.bytes)
        }
        if probe.halfClose { c.shutdownWrite() }
        var reader = ResponseReader(c)
        for (i, expect) in probe.expects.enumerated() {
            switch reader.next(head: expect.head) {
            case .response(let r):
                t.statuses[r.status, default: 0] += 1
                t.byCategory[probe.category, default: [:]][r.status, default: 0] += 1
                if r.status >= 500 {
                    if r.status == 502 && expect.allowed.contains(502) {
                        t.documented502 += 1
                    } else {
                        t.unexpected5xx += 1
                    }
                }
                if !expect.allowed.contains(r.status) {
                    t.violation(
                        "\(tag(probe, i)): \(r.status) not in \(expect.allowed.sorted()): \(excerpt(probe.bytes))"
                    )
                }
                if let problem = check(r, head: expect.head) {
                    t.violation("[\(probe.category.rawValue)] \(problem): \(excerpt(probe.bytes))")
                }
            case .closed(let partial):
                if probe.mayClose && partial == 0 {
                    t.closedWithoutResponse[probe.category, default: 0] += 1
                    if t.closedSamples.count < 10 { t.closedSamples.append(excerpt(probe.bytes, 100)) }
                } else {
                    t.violation(
                        "\(tag(probe, i)): connection closed without a response (\(partial) bytes): "
                            + excerpt(probe.bytes))
                }
                finish(c, reader: reader, markers: markers, into: &t)
                return
            case .timeout(let partial):
                t.violation(
                    "\(tag(probe, i)): no answer within \(Int(readTimeout)) s (\(partial) bytes): "
                        + excerpt(probe.bytes))
                finish(c, reader: reader, markers: markers, into: &t)
                return
            case .garbage(let what):
                t.violation(
                    "\(tag(probe, i)): not an HTTP response (\(what)): \(excerpt(probe.bytes))"
                )
                finish(c, reader: reader, markers: markers, into: &t)
                return
            }
        }
        finish(c, reader: reader, markers: markers, into: &t)
    }

    private static func finish(_ c: RawConnection, reader: ResponseReader, markers: [[UInt8]], into t: inout AbuseTally)
    {
        t.bytesReceived += reader.received.count
        for m in markers where ResponseReader.find(m, in: reader.received) != nil {
            t.leaks += 1
            t.violation(
                "a response holds bytes from outside the root (\(String(decoding: m, as: UTF8.self).prefix(30)))")
        }
        c.abortOnClose()
    }

    /// Framing checks every answer must pass.
    static func check(_ r: RawResponse, head: Bool) -> String? {
        if let cl = r.header("content-length"), !head, Int(cl) != r.body.count {
            return "Content-Length \(cl) but \(r.body.count) body bytes"
        }
        switch r.status {
        case 206:
            // bytes a-b/n with b-a+1 == body length and b < n
            guard let cr = r.header("content-range"), cr.hasPrefix("bytes ") else { return "206 without Content-Range" }
            let parts = cr.dropFirst(6).split(whereSeparator: { $0 == "-" || $0 == "/" })
            guard parts.count == 3, let a = Int64(parts[0]), let b = Int64(parts[1]), let n = Int64(parts[2]),
                a <= b, b < n
            else { return "bad Content-Range \(cr)" }
            if !head && Int64(r.body.count) != b - a + 1 { return "Content-Range \(cr) but \(r.body.count) bytes" }
        case 416:
            guard let cr = r.header("content-range"), cr.hasPrefix("bytes */") else { return "416 without bytes */n" }
        default: break
        }
        return nil
    }

    /// Runs `probes` on `workers` threads (blocking); stops starting new probes at `deadline`.
    static func flood(_ probes: [Probe], workers: Int, port: Int, markers: [[UInt8]], deadline: Date) -> AbuseTally {
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var total = AbuseTally()
            var next = 0
            func take() -> Int {
                lock.withLock {
                    defer { next += 1 }
                    return next
                }
            }
            func add(_ t: AbuseTally) { lock.withLock { total.merge(t) } }
        }
        let shared = Shared()
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                var mine = AbuseTally()
                while Date() < deadline {
                    let i = shared.take()
                    guard i < probes.count else { break }
                    run(probes[i], port: port, markers: markers, into: &mine)
                }
                shared.add(mine)
                group.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        group.wait()
        return shared.lock.withLock { shared.total }
    }
}

/// Connections that stop sending mid-request or trickle an endless header; the server must drop them.
final class StalledClients: @unchecked Sendable {
    enum Kind: String {
        case midHeaders = "stalled mid-headers"
        case midBody = "stalled mid-body"
        case trickle = "trickling headers"
    }

    struct Result: Sendable {
        var kind: String
        /// Seconds from connecting until the server closed it; nil if it was still open at the deadline.
        var closedAfter: Double?
    }

    private let lock = NSLock()
    private var results: [Result] = []
    private let group = DispatchGroup()

    /// Opens the connections now, each on its own thread, each given up after `limit` seconds.
    init(port: Int, manifest: String, kinds: [Kind], limit: Double) {
        for kind in kinds {
            group.enter()
            let thread = Thread { [self] in
                let start = Date()
                var closed: Double?
                if let c = try? RawConnection(port: port, timeout: 1) {
                    switch kind {
                    case .midHeaders:
                        c.send(Array("GET \(manifest) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stall: ".utf8))
                        if c.waitForServerClose(seconds: limit) { closed = Date().timeIntervalSince(start) }
                    case .midBody:
                        c.send(
                            Array(
                                "POST \(manifest) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\nabc".utf8
                            ))
                        if c.waitForServerClose(seconds: limit) { closed = Date().timeIntervalSince(start) }
                    case .trickle:
                        // One header byte every 250 ms, never ending the header section.
                        c.send(Array("GET \(manifest) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: ".utf8))
                        while Date().timeIntervalSince(start) < limit {
                            if !c.send([UInt8(ascii: "a")]) || c.waitForServerClose(seconds: 0.25) {
                                closed = Date().timeIntervalSince(start)
                                break
                            }
                        }
                    }
                    c.abortOnClose()
                }
                self.lock.withLock { self.results.append(Result(kind: kind.rawValue, closedAfter: closed)) }
                self.group.leave()
            }
            thread.start()
        }
    }

    /// Blocks until every connection was closed or given up.
    func wait() -> [Result] {
        group.wait()
        return lock.withLock { results }
    }
}

/// `smoothpack serve` as a child process.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    let stderrURL: URL
    var pid: Int32 { process.processIdentifier }

    init(binary: String, root: URL, logs: URL) throws {
        stderrURL = logs.appendingPathComponent("serve.stderr")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        // The default log level (info: an access-log line per request, hostile ones included) into a file.
        process.arguments = ["serve", root.path, "--host", "127.0.0.1", "--port", "0", "--log-level", "info"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The first line: "serving <root> at http://127.0.0.1:<port>/ (n presentations)".
        let handle = out.fileHandleForReading
        let box = LineBox()
        let got = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var text = Data()
            while !text.contains(UInt8(ascii: "\n")) {
                let d = handle.availableData
                if d.isEmpty { break }
                text += d
            }
            box.text = String(decoding: text, as: UTF8.self)
            got.signal()
            // Keep draining so the server never blocks on a full pipe.
            while !handle.availableData.isEmpty {}
        }
        guard got.wait(timeout: .now() + 30) == .success,
            let range = box.text.range(of: #"127\.0\.0\.1:(\d+)/"#, options: .regularExpression)
        else {
            process.terminate()
            throw ExternalToolError(message: "smoothpack serve did not start: \(box.text)")
        }
        port = Int(box.text[range].dropFirst("127.0.0.1:".count).dropLast()) ?? 0
    }

    /// Resident memory (`VmRSS` of `/proc/<pid>/status`) in KiB.
    func rssKiB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
    }

    /// SIGTERM, then waits up to `seconds`; the exit status and how long the graceful stop took.
    func stop(seconds: Double = 15) -> (status: Int32?, elapsed: Double) {
        let start = Date()
        if process.isRunning { process.terminate() }
        while process.isRunning && Date().timeIntervalSince(start) < seconds { usleep(20_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return (nil, Date().timeIntervalSince(start))
        }
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    var stderrText: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    private final class LineBox: @unchecked Sendable { var text = "" }
}

/// `wrk` loading the server with valid fragment requests for a fixed time.
final class WrkLoad: @unchecked Sendable {
    struct Summary: Sendable {
        var requests = 0
        var seconds = 0.0
        var requestsPerSecond = 0.0
        var non2xx = 0
        var socketErrors = ""
        var output = ""
    }

    let process = Process()
    private let out = Pipe()
    private let outBox = DataBox()
    private let drained = DispatchSemaphore(value: 0)

    /// The path of `wrk` on PATH; the test fails (not skips) without it.
    static func executable() throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/wrk"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ExternalToolError(
            message: "wrk is not installed: the origin abuse test needs Debian's `wrk` package (apt-get install wrk)")
    }

    /// Writes a Lua script picking a random path of `paths` for every request.
    static func script(paths: [String], into dir: URL) throws -> URL {
        let list = paths.map { "  \"\($0)\"," }.joined(separator: "\n")
        let lua = """
            -- Valid Smooth Streaming requests, picked at random (written by AbuseTests).
            local paths = {
            \(list)
            }
            local counter = 0
            function setup(thread)
              counter = counter + 1
              thread:set("id", counter)
            end
            function init(args)
              math.randomseed(os.time() * 100 + id)
            end
            function request()
              return wrk.format("GET", paths[math.random(#paths)])
            end
            """
        let url = dir.appendingPathComponent("fragments.lua")
        try lua.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    init(port: Int, script: URL, threads: Int = 2, connections: Int, seconds: Int) throws {
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = [
            "-t", String(threads), "-c", String(connections), "-d", "\(seconds)s", "--timeout", "10s",
            "-s", script.path, "http://127.0.0.1:\(port)/",
        ]
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        DispatchQueue.global().async { [outBox, drained] in
            outBox.data = handle.readDataToEndOfFile()
            drained.signal()
        }
    }

    /// Waits for wrk to finish its `-d` run (killed after `seconds`: a failure), then parses its statistics.
    /// (wrk is given a fixed duration rather than stopped by SIGINT: its main thread sleeps through the signal.)
    func finish(within seconds: Double) -> Summary {
        let start = Date()
        while process.isRunning && Date().timeIntervalSince(start) < seconds { usleep(50_000) }
        var killed = false
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            killed = true
        }
        process.waitUntilExit()
        _ = drained.wait(timeout: .now() + 10)
        let text = String(decoding: outBox.data, as: UTF8.self)
        var s = Summary(output: killed ? "wrk did not finish within \(seconds) s and was killed\n" + text : text)
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ")
            if line.hasPrefix("Requests/sec:"), let v = words.last.flatMap({ Double($0) }) { s.requestsPerSecond = v }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let v = words.last.flatMap({ Int($0) }) { s.non2xx = v }
            if line.hasPrefix("Socket errors:") { s.socketErrors = String(line.dropFirst("Socket errors:".count)) }
            if line.contains(" requests in "), let n = Int(words[0]) {
                s.requests = n
                if let i = words.firstIndex(of: "in"), i + 1 < words.count {
                    s.seconds = Self.seconds(String(words[i + 1].dropLast(words[i + 1].hasSuffix(",") ? 1 : 0)))
                }
            }
        }
        return s
    }

    /// wrk's durations: `850.00ms`, `40.01s`, `2.50m`, `1.00h`.
    static func seconds(_ text: String) -> Double {
        for (unit, factor) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0), ("h", 3600.0)]
        where text.hasSuffix(unit) {
            if let v = Double(text.dropLast(unit.count)) { return v * factor }
        }
        return 0
    }

    private final class DataBox: @unchecked Sendable { var data = Data() }
}

/// Samples the server's RSS every half second while the abuse runs.
final class RSSSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Int] = []
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(_ server: ServeProcess) {
        let thread = Thread { [self] in
            while self.lock.withLock({ self.running }) {
                if let kib = server.rssKiB() { self.lock.withLock { self.samples.append(kib) } }
                usleep(500_000)
            }
            self.done.signal()
        }
        thread.start()
    }

    func stop() -> [Int] {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { samples }
    }
}

/// Runs blocking work on a dedicated thread, so the Swift concurrency pool stays free.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
