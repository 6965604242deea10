internal import Foundation
internal import Synchronization

/// A fixed-capacity FIFO between two threads: `put` blocks while full, `take` blocks while empty.
/// Back-pressure from its depth bounds memory, however long the input.
///
/// The ring and its flags live in a `Mutex`; the `NSCondition` only parks and wakes threads. Every change
/// to the state happens while the condition's lock is held too, so a waiter re-checks the state under
/// that lock and no wake-up is lost.
final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State: ~Copyable {
        var items: [Element?]
        var head = 0
        var count = 0
        var closed = false
    }

    private let state: Mutex<State>
    private let condition = NSCondition()
    private let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a queue needs room for one element")
        self.capacity = capacity
        state = Mutex(State(items: Array(repeating: nil, count: capacity)))
    }

    /// Adds `element`, waiting for room. Returns false (and drops it) when the queue was closed.
    @discardableResult
    func put(_ element: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while state.withLock({ $0.count == capacity && !$0.closed }) { condition.wait() }
        let added = state.withLock { s -> Bool in
            if s.closed { return false }
            s.items[(s.head + s.count) % capacity] = element
            s.count += 1
            return true
        }
        if added { condition.broadcast() }
        return added
    }

    /// Removes the oldest element, waiting for one; nil once the queue is closed and drained.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while state.withLock({ $0.count == 0 && !$0.closed }) { condition.wait() }
        let element = state.withLock { s -> Element? in
            if s.count == 0 { return nil }
            let element = s.items[s.head]
            s.items[s.head] = nil
            s.head = (s.head + 1) % capacity
            s.count -= 1
            return element
        }
        if element != nil { condition.broadcast() }
        return element
    }

    /// Ends the stream: takers drain what is left, then get nil; putters are refused.
    func close() {
        condition.lock()
        state.withLock { $0.closed = true }
        condition.broadcast()
        condition.unlock()
    }

    /// Closes and drops everything queued (cancellation).
    func abort() {
        condition.lock()
        state.withLock { s in
            s.closed = true
            for i in s.items.indices { s.items[i] = nil }
            s.count = 0
        }
        condition.broadcast()
        condition.unlock()
    }
}

/// The first error raised by any thread of a job, shared so every thread can stop early.
final class FirstError: Sendable {
    private let stored = Mutex<(any Error)?>(nil)

    func record(_ error: any Error) {
        stored.withLock { if $0 == nil { $0 = error } }
    }

    var error: (any Error)? { stored.withLock { $0 } }
}
