import ArgumentParser
import Foundation
import Logging
import Origin
import ServiceLifecycle
#if canImport(Glibc)
    import Glibc
#endif
import UnixSignals

/// `smoothpack serve`: a local origin answering like CloudFront with Smooth Streaming enabled.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Serve presentations the way CloudFront with Smooth Streaming enabled does (preview, self-hosting, tests).",
        usage: "smoothpack serve <directory> [<options>]",
        discussion: """
            URLs (the paths CloudFront answers, relative to <dir>):
              /<path>/<stem>.ism/Manifest
                  the .ismc that <stem>.ism names (text/xml)
              /<path>/<stem>.ism/QualityLevels(<bitrate>)/Fragments(<track>=<time>)
                  one stored moof+mdat (video/mp4), found through the .ism
                  (bitrate, track name) and the file's tfra index (exact time)
              /<any other file under <dir>>
                  the file itself, with Range and HEAD

            Statuses: unknown presentation, bitrate, track or time 404; malformed QualityLevels/Fragments 400; paths \
            leaving <dir> (.., %2e%2e, %2f, symlinks) 404; targets over 4096 bytes 414; corrupt media 502 (logged \
            once). CORS headers on every response.

            Example:
              smoothpack encode testmedia --out out --profile fast
              smoothpack serve out --port 8080
              gst-launch-1.0 playbin \\
                uri=http://127.0.0.1:8080/<stem>/<version>/<stem>.ism/Manifest

            The first lines printed give the address and one Manifest URL per presentation found. The access log \
            (method, path, status, bytes, time) goes to standard error at level info; --log-level warning silences it \
            (benchmarks). SIGINT/SIGTERM stop it gracefully.
            """)

    @Argument(help: "Folder to serve: an `encode --out` folder or a single presentation folder.")
    var directory: String

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Access-Control-Allow-Origin sent on every response.")
    var cors = "*"

    @Option(help: "Seconds a connection may take to deliver a complete request head before it is closed (stalled or trickling clients).")
    var idleTimeout: Double = 30

    @Option(help: "Log level: trace, debug, info (access log), notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Presentations whose parsed .ism and .ismc are kept in memory (a few KB each, more for long titles).")
    var cachePresentations = 4096

    @Option(help: "Media files whose index (tfra) and open descriptor are kept (a few KB each; capped by the open-file limit).")
    var cacheMediaFiles = 8192

    @Option(help: "Megabytes of small fragment bodies (under 16 KiB; larger ones go out with sendfile) kept in memory, sent without a read (0 disables).")
    var cacheFragmentMB = 64

    @Option(help: "Seconds a cached file is trusted before its identity (inode, size, mtime) is checked again (0: on every request).")
    var revalidateAfter: Double = 1

    @Option(help: "Seconds more a fragment whose files are due for that check is answered from memory while the check runs in the background (0: wait for it).")
    var staleWhileRevalidate: Double = 10

    /// Every request through NIO's HTTP/1 parser, none read from the connection's bytes ahead of it: the same
    /// answers, more CPU per request. Hidden: only for `scripts/bench`'s comparison of the two paths.
    @Flag(help: .hidden)
    var parseEveryRequest = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard idleTimeout > 0, idleTimeout <= 86400 else { throw ValidationError("--idle-timeout must be in (0, 86400] seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard cachePresentations >= 1, cacheMediaFiles >= 1, (0...1 << 20).contains(cacheFragmentMB) else {
            throw ValidationError("--cache-presentations and --cache-media-files must be at least 1, --cache-fragment-mb 0...1048576")
        }
        guard (0...86400).contains(revalidateAfter), (0...86400).contains(staleWhileRevalidate) else {
            throw ValidationError("--revalidate-after and --stale-while-revalidate must be in [0, 86400] seconds")
        }
        guard !cors.isEmpty, !cors.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw ValidationError("--cors must be * or an origin such as https://player.example.com")
        }
    }

    func run() async throws {
        var logger = Logger(label: "smoothpack.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // Each cached media file holds a descriptor: raise the soft limit to the hard one and leave room for
        // connections (a quarter of the limit) besides the cache.
        let files = Self.raiseOpenFileLimit() ?? 1024
        let mediaFiles = max(1, min(cacheMediaFiles, files / 4 * 3 - 64))
        var configuration = OriginConfiguration(
            root: directory, corsOrigin: cors, presentationCacheCapacity: cachePresentations,
            mediaCacheCapacity: mediaFiles, fragmentCacheBytes: cacheFragmentMB << 20,
            revalidateAfter: .milliseconds(Int64(revalidateAfter * 1000)),
            idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
        configuration.staleWhileRevalidate = .milliseconds(Int64(staleWhileRevalidate * 1000))
        configuration.readSimpleRequestsDirectly = !parseEveryRequest
        let origin: SmoothOrigin
        do {
            origin = try SmoothOrigin(configuration: configuration, logger: logger)
        } catch {
            Console.error("smoothpack serve: \(error)")
            throw ExitCode(2)
        }
        let presentations = origin.presentationPaths()
        let app = OriginServer.makeApplication(origin: origin, host: host, port: port, logger: logger) { host, port in
            let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            let count = "\(presentations.count) presentation\(presentations.count == 1 ? "" : "s")"
            var text = "serving \(origin.rootPath) at \(base)/ (\(count))\n"
            for p in presentations {
                let path = p.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? p
                text += "  \(base)/\(path)/Manifest\n"
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            Console.error("smoothpack serve: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
    }

    /// Raises the soft limit on open descriptors to the hard limit (`getrlimit`/`setrlimit` `RLIMIT_NOFILE`), as
    /// servers that keep many files open do; returns the soft limit in force (nil when it cannot be read).
    static func raiseOpenFileLimit() -> Int? {
        #if canImport(Glibc)
            var limit = rlimit()
            let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            guard getrlimit(resource, &limit) == 0 else { return nil }
            if limit.rlim_cur < limit.rlim_max {
                var raised = limit
                raised.rlim_cur = limit.rlim_max
                if setrlimit(resource, &raised) == 0 { limit = raised }
            }
            return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all bits set) clamps to Int.max
        #else
            return nil
        #endif
    }
}
