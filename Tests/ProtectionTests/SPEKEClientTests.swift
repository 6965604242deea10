import Foundation
import Protection
import SmoothPack
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fake SPEKE v2 key server (Python's http.server on a loopback port the OS picks). The path selects the
/// behaviour: /ok answers the CPIX request with keys for its KIDs, /missing leaves out the audio key,
/// /malformed sends broken XML, /403 and /500 fail. Each request's headers and body are appended to a log.
final class FakeKeyServer {
    static let script = #"""
    import base64, hashlib, re, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    log = open(sys.argv[1], "a")
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            log.write("PATH %s\nCT %s\nSPEKE %s\n%s\n----\n" % (self.path, self.headers.get("Content-Type"),
                      self.headers.get("X-Speke-Version"), body)); log.flush()
            if self.path in ("/403", "/500"):
                self.send_response(int(self.path[1:])); self.end_headers(); self.wfile.write(b"denied"); return
            kids = re.findall(r'<cpix:ContentKey kid="([0-9a-f-]+)"', body)
            if self.path == "/missing": kids = kids[:1]
            keys = "".join('<cpix:ContentKey kid="%s" commonEncryptionScheme="cenc"><cpix:Data><pskc:Secret>'
                           '<pskc:PlainValue>%s</pskc:PlainValue></pskc:Secret></cpix:Data></cpix:ContentKey>'
                           % (k, base64.b64encode(hashlib.sha256(k.encode()).digest()[:16]).decode()) for k in kids)
            doc = ('<?xml version="1.0" encoding="UTF-8"?><cpix:CPIX contentId="x" version="2.3" '
                   'xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">'
                   '<cpix:ContentKeyList>%s</cpix:ContentKeyList></cpix:CPIX>' % keys)
            if self.path == "/malformed": doc = doc[: len(doc) // 2]
            data = doc.encode()
            self.send_response(200); self.send_header("Content-Type", "application/xml")
            self.send_header("X-Speke-Version", "2.0"); self.send_header("Content-Length", str(len(data)))
            self.end_headers(); self.wfile.write(data)
    server = HTTPServer(("127.0.0.1", 0), H)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    let process: Process
    let url: String
    let log: URL

    init() throws {
        let dir = try TestPaths.temporaryDirectory("speke")
        let scriptURL = dir.appendingPathComponent("server.py")
        try Data(Self.script.utf8).write(to: scriptURL)
        log = dir.appendingPathComponent("requests.log")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", scriptURL.path, log.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var line: [UInt8] = []
        while let c = out.fileHandleForReading.readData(ofLength: 1).first, c != 0x0A { line.append(c) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            p.terminate()
            throw TestFailure("the fake key server did not print a port")
        }
        process = p
        url = "http://127.0.0.1:\(port)"
    }

    func requests() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite(.serialized) struct SPEKEClientTests {
    @Test func requestFormatAndKeys() async throws {
        let server = try FakeKeyServer()
        defer { server.stop() }
        let settings = try await SPEKEKeyProvider.settings(url: server.url + "/ok", contentID: "title-42",
                                                           licenseURL: "https://lic.example/pr")
        let kids = SPEKE.keyIDs(contentID: "title-42")
        #expect(settings.video.kid == kids.video && settings.audio.kid == kids.audio)
        #expect(settings.video.kid != settings.audio.kid)
        // The fake server's keys: SHA-256 of the KID text, first 16 bytes.
        let log = server.requests()
        #expect(log.contains("CT application/xml") && log.contains("SPEKE 2.0"))
        #expect(log.contains(#"<cpix:CPIX contentId="title-42" version="2.3""#))
        #expect(log.contains(#"<cpix:ContentKey kid="\#(kids.video.uuidString)" commonEncryptionScheme="cenc"/>"#))
        #expect(log.contains(#"intendedTrackType="VIDEO"><cpix:VideoFilter/>"#))
        #expect(log.contains(#"intendedTrackType="AUDIO"><cpix:AudioFilter/>"#))
        #expect(log.contains(#"systemId="9a04f079-9840-4286-ab92-e65be0885f95""#))
        // Same content ID, same KIDs (stable presentation versions).
        #expect(SPEKE.keyIDs(contentID: "title-42") == kids)
    }

    @Test func failuresAreOneLine() async throws {
        let server = try FakeKeyServer()
        defer { server.stop() }
        for (path, expected) in [("/403", "answered HTTP 403"), ("/500", "answered HTTP 500"),
                                 ("/malformed", "malformed response"), ("/missing", "has no key for KID")] {
            do {
                _ = try await SPEKEKeyProvider.settings(url: server.url + path, contentID: "c", licenseURL: nil)
                Issue.record("\(path) succeeded")
            } catch {
                let text = "\(error)"
                #expect(text.contains(expected), "\(path): \(text)")
                #expect(!text.contains("\n"), "\(path): \(text)")
                #expect(text.hasPrefix("key server: "))
            }
        }
        // Nothing listening: one line too.
        let closed = try FakeKeyServer()
        let dead = closed.url
        closed.stop()
        do {
            _ = try await SPEKEKeyProvider.settings(url: dead + "/ok", contentID: "c", licenseURL: nil, timeoutSeconds: 5)
            Issue.record("a dead server succeeded")
        } catch {
            #expect("\(error)".contains("cannot be reached") && !"\(error)".contains("\n"))
        }
    }

    @Test func parserRefusesEncryptedKeysAndBadXML() throws {
        let kids = SPEKE.keyIDs(contentID: "x")
        for body in ["", "<html>no</html>", "<cpix:CPIX><cpix:ContentKey kid=\"\(kids.video)\"><cpix:Data><pskc:Secret><pskc:EncryptedValue/>"] {
            #expect(throws: ProtectionError.self) { _ = try SPEKE.parseResponse(Array(body.utf8), video: kids.video, audio: kids.audio) }
        }
    }
}
