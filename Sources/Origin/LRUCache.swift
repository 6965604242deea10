internal import Synchronization

/// A bounded least-recently-used map, safe to share between request tasks.
///
/// Bounded by entry count and, optionally, by a total cost (bytes for fragment bodies). Lookups and
/// inserts are O(1): entries live in an array-backed doubly linked list indexed by a dictionary.
final class LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node {
        var key: Key
        var cost: Int
        var prev: Int
        var next: Int
    }

    private struct State {
        var index: [Key: Int] = [:]
        var nodes: [Node] = []
        var values: [Value?] = []  // beside the nodes so that a removed value is released at once
        var free: [Int] = []
        var head = -1  // most recently used
        var tail = -1  // least recently used
        var totalCost = 0

        mutating func unlink(_ i: Int) {
            let (p, n) = (nodes[i].prev, nodes[i].next)
            if p >= 0 { nodes[p].next = n } else { head = n }
            if n >= 0 { nodes[n].prev = p } else { tail = p }
        }

        mutating func pushFront(_ i: Int) {
            nodes[i].prev = -1
            nodes[i].next = head
            if head >= 0 { nodes[head].prev = i }
            head = i
            if tail < 0 { tail = i }
        }

        mutating func remove(_ i: Int) {
            unlink(i)
            index[nodes[i].key] = nil
            values[i] = nil
            totalCost -= nodes[i].cost
            free.append(i)
        }
    }

    private let state = Mutex(State())
    /// Most entries kept.
    let capacity: Int
    /// Largest total cost kept (`Int.max`: unbounded).
    let maxCost: Int

    init(capacity: Int, maxCost: Int = .max) {
        self.capacity = max(0, capacity)
        self.maxCost = max(0, maxCost)
    }

    /// The value for `key`, marking it most recently used.
    func value(for key: Key) -> Value? {
        state.withLock { s in
            guard let i = s.index[key] else { return nil }
            if s.head != i {
                s.unlink(i)
                s.pushFront(i)
            }
            return s.values[i]
        }
    }

    /// Stores `value`, evicting the least recently used entries beyond the bounds. A value costing more
    /// than `maxCost` is not stored. Returns whether `value` was stored and the values that left the cache:
    /// the one `key` held before, and those evicted.
    @discardableResult
    func set(_ value: Value, for key: Key, cost: Int = 0) -> (stored: Bool, gone: [Value]) {
        guard capacity > 0, cost <= maxCost else { return (false, []) }
        return state.withLock { s in
            var gone: [Value] = []
            if let i = s.index[key] {
                if let old = s.values[i] { gone.append(old) }
                s.remove(i)
            }
            let node = Node(key: key, cost: cost, prev: -1, next: -1)
            let i: Int
            if let f = s.free.popLast() {
                s.nodes[f] = node
                s.values[f] = value
                i = f
            } else {
                s.nodes.append(node)
                s.values.append(value)
                i = s.nodes.count - 1
            }
            s.index[key] = i
            s.totalCost += cost
            s.pushFront(i)
            while s.index.count > capacity || s.totalCost > maxCost, s.tail >= 0, s.tail != i {
                if let old = s.values[s.tail] { gone.append(old) }
                s.remove(s.tail)
            }
            return (true, gone)
        }
    }

    /// Forgets `key`; returns the value it held.
    @discardableResult
    func removeValue(for key: Key) -> Value? {
        state.withLock { s in
            guard let i = s.index[key] else { return nil }
            let old = s.values[i]
            s.remove(i)
            return old
        }
    }

    /// Number of entries.
    var count: Int { state.withLock { $0.index.count } }
}
