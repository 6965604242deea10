internal import Synchronization

/// A count of events that any thread may add to: file regions sent, requests answered directly, background
/// checks done (one per origin; the tests read them to see that a path was taken).
final class EventCount: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ n: Int = 1) { count.add(n, ordering: .relaxed) }
}
