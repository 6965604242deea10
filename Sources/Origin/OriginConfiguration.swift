/// How `smoothpack serve` answers: the folder it serves, CORS, cache lifetimes and cache sizes.
///
/// The defaults are the documented behaviour of the origin (see ``OriginResponder``):
/// - `Manifest` responses: `public, max-age=2` — short, so a presentation re-encoded under the same path is
///   picked up at once in a preview; published presentations live in versioned folders, so a CDN in front may
///   cache longer.
/// - fragments: `public, max-age=31536000, immutable` — a fragment URL names one byte range of one
///   versioned file and never changes.
/// - other files: `public, max-age=60`.
/// - request targets longer than ``maxURILength`` (4096 bytes, as many CDNs and nginx's default
///   `large_client_header_buffers` of 8 KiB allow for a whole request line) are answered 414.
/// - a connection that has not delivered a complete request head within ``idleTimeout`` (30 s) of opening or
///   of its last answer is closed: slow and stalled clients (slowloris) cannot hold connections open forever.
/// - cached files are trusted for ``revalidateAfter`` (1 s), then checked; for ``staleWhileRevalidate`` (10 s)
///   more a fragment is answered from memory while that check runs. A file changed in place is seen within 1 s
///   by manifests and other files, and by fragment requests on the first answer after the check (the first
///   request after a quiet spell of up to 11 s may still get the old bytes). Fragment URLs are declared
///   immutable for a year anyway, and published presentations are never changed in place.
public struct OriginConfiguration: Sendable, Equatable {
    /// The folder served; nothing outside it is ever read.
    public var root: String
    /// `Access-Control-Allow-Origin` on every response (`*` by default).
    public var corsOrigin: String
    /// Longest request target accepted, in bytes; longer ones get 414.
    public var maxURILength: Int
    /// `Cache-Control` of `…/x.ism/Manifest` responses.
    public var manifestCacheControl: String
    /// `Cache-Control` of fragment responses.
    public var fragmentCacheControl: String
    /// `Cache-Control` of static files.
    public var staticCacheControl: String
    /// How many parsed `.ism` files (with their `.ismc` bytes) are kept.
    public var presentationCacheCapacity: Int
    /// How many media files (open descriptor + `tfra` index) are kept.
    public var mediaCacheCapacity: Int
    /// Bytes of fragment bodies kept in memory (0 disables); hot fragments are then sent without any read. On a
    /// server with a ``RegionSender`` only bodies under ``FileRegions/minimumLength`` are kept (larger ones go
    /// out with `sendfile`).
    public var fragmentCacheBytes: Int
    /// How long a cached file is trusted before its identity (device, inode, size, mtime) is checked again;
    /// also how long a static file the router opened for a request target answers that target again without
    /// the router (up to 1024 such files stay open). Zero checks on every request.
    public var revalidateAfter: Duration
    /// For this long after ``revalidateAfter``, a fragment whose files are due for a check is answered from
    /// memory while the check runs in the background (as HTTP's `stale-while-revalidate`); the first answer
    /// after the check reflects what it found. Manifests and other files always wait for the check, and
    /// nothing is answered from memory past `revalidateAfter` when that is zero. Default 10 s: files are checked
    /// when asked for, so with thousands of presentations a file may go a second or more without a request; at
    /// 1 s, about 6 % of the fragment requests of a 2,000-presentation benchmark found their files past the
    /// window and waited for the check through the router.
    public var staleWhileRevalidate: Duration = .seconds(10)
    /// The `Server` header; nil sends none.
    public var serverName: String?
    /// How long a connection may go without delivering a complete request head, counted from when it opened or
    /// from its last response, before it is closed; nil never closes. Only complete heads count as activity, so
    /// a client trickling a header a byte at a time is closed too; a response being written is never cut.
    public var idleTimeout: Duration?
    /// Fragments whose index and range are already in memory are answered on the connection's event loop
    /// without the router (``DirectFragmentResponder``): the same bytes and headers, less CPU per request.
    /// Off only to compare the two paths.
    public var answerCachedFragmentsDirectly = true
    /// With ``answerCachedFragmentsDirectly``, requests simple enough to frame from the connection's bytes (a
    /// `GET` or `HEAD` over HTTP/1.1 without a body, see ``RawRequestHead``) are read and answered before NIO's
    /// HTTP/1 parser (``RawRequestReader``): the same bytes, less CPU per request. Off only to compare.
    public var readSimpleRequestsDirectly = true

    /// Creates a configuration with the documented defaults.
    public init(
        root: String, corsOrigin: String = "*", maxURILength: Int = 4096,
        manifestCacheControl: String = "public, max-age=2",
        fragmentCacheControl: String = "public, max-age=31536000, immutable",
        staticCacheControl: String = "public, max-age=60",
        presentationCacheCapacity: Int = 256, mediaCacheCapacity: Int = 512,
        fragmentCacheBytes: Int = 64 << 20, revalidateAfter: Duration = .seconds(1),
        serverName: String? = "smoothpack", idleTimeout: Duration? = .seconds(30)
    ) {
        self.root = root
        self.corsOrigin = corsOrigin
        self.maxURILength = maxURILength
        self.manifestCacheControl = manifestCacheControl
        self.fragmentCacheControl = fragmentCacheControl
        self.staticCacheControl = staticCacheControl
        self.presentationCacheCapacity = presentationCacheCapacity
        self.mediaCacheCapacity = mediaCacheCapacity
        self.fragmentCacheBytes = fragmentCacheBytes
        self.revalidateAfter = revalidateAfter
        self.serverName = serverName
        self.idleTimeout = idleTimeout
    }
}
