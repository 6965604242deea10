import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP client to 127.0.0.1 that sends exactly the bytes it is given and parses HTTP/1.1 responses
/// itself, so malformed requests reach the server unchanged. Every call is bounded by socket timeouts.
final class RawConnection {
    let fd: Int32

    enum Failure: Error, CustomStringConvertible {
        case socket(Int32)
        case connect(Int32)
        var description: String {
            switch self {
            case .socket(let e): "socket: errno \(e)"
            case .connect(let e): "connect: errno \(e)"
            }
        }
    }

    /// Connects to 127.0.0.1:`port`; reads and writes give up after `timeout` seconds without progress.
    init(port: Int, timeout: Double) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.socket(errno) }
        self.fd = fd
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)  // 127.0.0.1, and nothing else
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            let e = errno
            Glibc.close(fd)
            throw Failure.connect(e)
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends every byte; false if the peer closed or reset the connection, or the send timed out.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    enum Read: Equatable {
        case data(Int)
        case eof
        case timeout
        case error(Int32)
    }

    private var chunk = [UInt8](repeating: 0, count: 64 << 10)

    /// One `recv` into `buffer` (appended).
    func receive(into buffer: inout [UInt8]) -> Read {
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 {
                chunk.withUnsafeBufferPointer { buffer.append(contentsOf: $0[0..<n]) }
                return .data(n)
            }
            if n == 0 { return .eof }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .timeout }
            return .error(errno)
        }
    }

    /// `shutdown(SHUT_WR)`: the server reads end-of-stream after what was sent.
    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Makes the coming close a reset (no TIME_WAIT left on either side: ten thousand connections in a few
    /// seconds would otherwise eat the ephemeral port range).
    func abortOnClose() {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
    }

    /// Waits up to `seconds` for the server to close the connection (EOF or reset), discarding any data.
    func waitForServerClose(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var sink: [UInt8] = []
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, min(1000, deadline.timeIntervalSinceNow * 1000)))
            let r = poll(&p, 1, left)
            if r > 0 {
                sink.removeAll(keepingCapacity: true)
                switch receive(into: &sink) {
                case .eof, .error: return true
                case .data, .timeout: continue
                }
            }
        }
        return false
    }
}

/// One parsed HTTP response.
struct RawResponse {
    var status: Int
    /// Lower-cased names.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// Reads consecutive responses from a connection (pipelining keeps the surplus for the next one).
struct ResponseReader {
    let connection: RawConnection
    /// Every byte received on the connection, for the leak scan.
    private(set) var received: [UInt8] = []
    private var pending: [UInt8] = []
    private var sawEOF = false

    enum Outcome {
        case response(RawResponse)
        /// The connection ended (EOF or reset) before a full response head arrived.
        case closed(partial: Int)
        /// Nothing for the read timeout.
        case timeout(partial: Int)
        /// Bytes that are not an HTTP/1.x response.
        case garbage(String)
    }

    init(_ connection: RawConnection) { self.connection = connection }

    /// More bytes into `pending`; false at EOF, reset or timeout (`why` says which).
    private mutating func fill(_ why: inout Outcome?) -> Bool {
        if sawEOF {
            why = .closed(partial: pending.count)
            return false
        }
        var got: [UInt8] = []
        switch connection.receive(into: &got) {
        case .data:
            received += got
            pending += got
            return true
        case .eof, .error:
            sawEOF = true
            why = .closed(partial: pending.count)
            return false
        case .timeout:
            why = .timeout(partial: pending.count)
            return false
        }
    }

    /// The next final response (1xx interim answers are skipped). `head` means the request was HEAD: no body.
    mutating func next(head: Bool = false) -> Outcome {
        while true {
            var why: Outcome?
            var end: Int?
            while true {
                end = Self.find([13, 10, 13, 10], in: pending)
                if end != nil { break }
                if pending.count > 256 << 10 { return .garbage("response head over 256 KiB") }
                if !fill(&why) { return why! }
            }
            let headBytes = Array(pending[0..<end!])
            pending.removeFirst(end! + 4)
            let text = String(decoding: headBytes, as: UTF8.self)
            var lines = text.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                return .garbage(String(statusLine.prefix(80)))
            }
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (
                    line[..<colon].lowercased(),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                )
            }
            var response = RawResponse(status: status, headers: headers, body: [])
            if (100..<200).contains(status) && status != 101 { continue }
            if head || status == 204 || status == 304 || (100..<200).contains(status) { return .response(response) }
            if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
                guard let body = readChunked(&why) else { return why ?? .garbage("bad chunked body") }
                response.body = body
            } else if let lengthText = response.header("content-length") {
                guard let length = Int(lengthText), length >= 0 else { return .garbage("Content-Length \(lengthText)") }
                while pending.count < length {
                    if !fill(&why) { return why! }
                }
                response.body = Array(pending[0..<length])
                pending.removeFirst(length)
            } else {
                while fill(&why) {}
                if case .timeout = why { return why! }
                response.body = pending
                pending = []
            }
            return .response(response)
        }
    }

    private mutating func readChunked(_ why: inout Outcome?) -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            var lineEnd = Self.find([13, 10], in: pending)
            while lineEnd == nil {
                if !fill(&why) { return nil }
                lineEnd = Self.find([13, 10], in: pending)
            }
            let sizeText = String(decoding: pending[0..<lineEnd!], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                return nil
            }
            pending.removeFirst(lineEnd! + 2)
            if size == 0 {
                // Optional trailers, then an empty line.
                while true {
                    if pending.count >= 2 && pending[0] == 13 && pending[1] == 10 {
                        pending.removeFirst(2)
                        return body
                    }
                    if let e = Self.find([13, 10, 13, 10], in: pending) {
                        pending.removeFirst(e + 4)
                        return body
                    }
                    if !fill(&why) { return nil }
                }
            }
            while pending.count < size + 2 {
                if !fill(&why) { return nil }
            }
            body += pending[0..<size]
            pending.removeFirst(size + 2)
        }
    }

    /// Index of the first occurrence of `needle` in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    guard let p = memchr(h.baseAddress! + i, Int32(first), last - i + 1) else { return nil }
                    i = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - h.baseAddress!
                    if memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }
}
