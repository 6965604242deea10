/// Positional reads from a file or buffer: the origin server reads `mfra` from the end of a
/// multi-GB file and then one fragment's byte range, never the whole file.
public protocol RandomAccessSource {
    /// Total size in bytes.
    var size: Int64 { get }
    /// Exactly `count` bytes at `offset`; throws ``PlatformError`` (`.outOfBounds`) when any of them
    /// lies outside `0..<size`, before allocating anything.
    func read(at offset: Int64, count: Int) throws -> [UInt8]
}

/// An in-memory ``RandomAccessSource`` (tests, small files).
public struct MemorySource: RandomAccessSource, Sendable {
    /// The whole contents.
    public let bytes: [UInt8]
    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    /// `bytes.count`.
    public var size: Int64 { Int64(bytes.count) }
    /// Exactly `count` bytes at `offset`; `.outOfBounds` past the end.
    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        try checkRange(offset: offset, count: count, size: size, path: "<memory>")
        return Array(bytes[Int(offset)..<(Int(offset) + count)])
    }
}

/// Throws `.outOfBounds` unless `offset..<offset+count` lies inside `0..<size` (overflow-safe).
func checkRange(offset: Int64, count: Int, size: Int64, path: String) throws(PlatformError) {
    guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
        throw PlatformError(.outOfBounds, function: "pread", path: path,
                            detail: "\(count) bytes at offset \(offset) of \(size)")
    }
}
