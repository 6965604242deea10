import Testing

@testable import Origin

@Suite struct RequestPathTests {
    @Test(arguments: [
        ("/a/b.ism/Manifest", ["a", "b.ism", "Manifest"]),
        ("/a/QualityLevels%28200%29?x=1", ["a", "QualityLevels(200)"]),
        ("http://host:8080/a/b", ["a", "b"]),
        ("/caf%C3%A9", ["café"]),
        ("/%252e%252e", ["%2e%2e"]),
    ])
    func decodes(target: String, segments: [String]) throws {
        #expect(try RequestPath.parse(target, maxLength: 4096).get().segments == segments)
    }

    /// The path the router matches parses back to the same segments, whatever bytes they hold.
    @Test(arguments: [
        "/a/b.ism/Manifest", "/a/QualityLevels%28200%29/Fragments(video=0)", "/caf%C3%A9/x%3Fy%23z",
        "/%252e%252e/a%20b", "/a/%25/b+c/d;e=f",
    ])
    func routingPathRoundTrips(target: String) throws {
        let path = try RequestPath.parse(target, maxLength: 4096).get()
        #expect(try RequestPath.parse(path.routingPath, maxLength: 4096).get() == path)
        #expect(!path.routingPath.contains { $0 == "?" || $0 == "#" || $0 == " " })
    }

    @Test(arguments: [
        ("/a/../b", 404), ("/a/%2e%2e/b", 404), ("/a%2fb", 404), ("/a%5cb", 404), ("/a%00", 404), ("/.git/config", 404),
        ("//a", 404), ("/a/", 404), ("a/b", 404), ("/a%2", 400), ("/%ff", 400),
        ("/" + String(repeating: "x", count: 5000), 414),
    ])
    func refuses(target: String, status: Int) {
        switch RequestPath.parse(target, maxLength: 4096) {
        case .success(let p): Issue.record("\(target) parsed as \(p.segments)")
        case .failure(let e): #expect(e.statusCode == status, "\(target): \(e)")
        }
    }
}

@Suite struct ByteRangeTests {
    @Test func forms() {
        #expect(ByteRange.parse("bytes=0-9", length: 100) == .part(0..<10))
        #expect(ByteRange.parse("bytes=90-200", length: 100) == .part(90..<100))
        #expect(ByteRange.parse("bytes=95-", length: 100) == .part(95..<100))
        #expect(ByteRange.parse("bytes=-10", length: 100) == .part(90..<100))
        #expect(ByteRange.parse("bytes=-500", length: 100) == .part(0..<100))
        #expect(ByteRange.parse("bytes=100-", length: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", length: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=5-1", length: 100) == .whole)
        #expect(ByteRange.parse("bytes=0-1,5-6", length: 100) == .whole)
        #expect(ByteRange.parse("lines=0-1", length: 100) == .whole)
        #expect(ByteRange.parse("bytes=a-b", length: 100) == .whole)
        #expect(ByteRange.parse("bytes=99999999999999999999-", length: 100) == .whole)
    }

    @Test func ifNoneMatch() {
        #expect(PayloadResponder.matches("\"abc\"", etag: "abc"))
        #expect(PayloadResponder.matches("W/\"abc\"", etag: "abc"))
        #expect(PayloadResponder.matches("\"x\", \"abc\"", etag: "abc"))
        #expect(PayloadResponder.matches("*", etag: "abc"))
        #expect(!PayloadResponder.matches("\"abcd\"", etag: "abc"))
    }
}

@Suite struct LRUCacheTests {
    @Test func evictsLeastRecentlyUsed() {
        let cache = LRUCache<Int, String>(capacity: 2)
        cache.set("a", for: 1)
        cache.set("b", for: 2)
        #expect(cache.value(for: 1) == "a")  // 1 is now the most recent
        cache.set("c", for: 3)
        #expect(cache.value(for: 2) == nil)
        #expect(cache.value(for: 1) == "a")
        #expect(cache.value(for: 3) == "c")
        #expect(cache.count == 2)
        cache.removeValue(for: 1)
        #expect(cache.count == 1)
    }

    @Test func boundedByCost() {
        let cache = LRUCache<Int, Int>(capacity: 100, maxCost: 10)
        for i in 0..<5 { cache.set(i, for: i, cost: 4) }
        #expect(cache.count == 2)
        #expect(cache.value(for: 4) == 4 && cache.value(for: 3) == 3)
        cache.set(99, for: 99, cost: 11)  // larger than the whole budget: not kept
        #expect(cache.value(for: 99) == nil)
        #expect(cache.count == 2)
    }

    @Test func setAndRemoveReturnWhatLeft() {
        let cache = LRUCache<Int, String>(capacity: 2, maxCost: 10)
        #expect(cache.set("a", for: 1) == (true, []))
        #expect(cache.set("b", for: 2) == (true, []))
        #expect(cache.set("a2", for: 1) == (true, ["a"]))  // replaced
        #expect(cache.set("c", for: 3) == (true, ["b"]))  // evicted: 2 is the least recently used
        #expect(cache.set("d", for: 4, cost: 11) == (false, []))  // over the budget: not stored
        #expect(cache.set("e", for: 5, cost: 10) == (true, ["a2"]))  // two entries at most
        #expect(cache.set("f", for: 6, cost: 1) == (true, ["c", "e"]))  // cost 11: evicted until it fits
        #expect(cache.removeValue(for: 6) == "f")
        #expect(cache.removeValue(for: 6) == nil)
    }

    @Test func manyKeysStayBounded() {
        let cache = LRUCache<Int, Int>(capacity: 64)
        for i in 0..<10_000 { cache.set(i, for: i % 1000) }
        #expect(cache.count == 64)
    }
}
