/// One broken rule found by ``IsmvChecker``: where (byte offset of the box concerned) and what.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    public var offset: Int64
    public var message: String

    public init(offset: Int64, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "@\(offset): \(message)" }
}
