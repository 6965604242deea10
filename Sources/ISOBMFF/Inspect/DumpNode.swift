internal import MediaCore

/// A value shown by ``BoxDump``.
public enum DumpValue: Sendable, Equatable {
    case int(Int64)
    case uint(UInt64)
    /// An unsigned value shown as `0x` + `digits` hex digits.
    case hex(UInt64, digits: Int)
    case string(String)
    case list([DumpValue])
    case object([DumpField])

    /// Text form used in the tree dump.
    public var text: String {
        switch self {
        case .int(let v): "\(v)"
        case .uint(let v): "\(v)"
        case .hex(let v, let digits):
            "0x" + String(repeating: "0", count: max(0, digits - String(v, radix: 16).count)) + String(v, radix: 16)
        case .string(let s): s
        case .list(let items): "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let fields): "{" + fields.map { "\($0.key)=\($0.value.text)" }.joined(separator: " ") + "}"
        }
    }

    /// JSON form (hex values as strings, so they read the same as in the tree).
    public var json: String {
        switch self {
        case .int(let v): "\(v)"
        case .uint(let v): "\(v)"
        case .hex: jsonString(text)
        case .string(let s): jsonString(s)
        case .list(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let fields):
            "{" + fields.map { "\(jsonString($0.key)):\($0.value.json)" }.joined(separator: ",") + "}"
        }
    }
}

/// A JSON string literal with the required escapes.
func jsonString(_ s: String) -> String { JSONText.quoted(s) }

/// A named value of a box.
public struct DumpField: Sendable, Equatable {
    public var key: String
    public var value: DumpValue
    public init(_ key: String, _ value: DumpValue) {
        self.key = key
        self.value = value
    }
}

/// One box in a ``BoxDump`` tree.
public struct DumpNode: Sendable, Equatable {
    /// Box type, or `uuid(tfxd)` for known uuid boxes.
    public var name: String
    public var offset: Int64
    public var size: Int64
    public var fields: [DumpField]
    public var children: [DumpNode]

    public init(name: String, offset: Int64, size: Int64, fields: [DumpField] = [], children: [DumpNode] = []) {
        self.name = name
        self.offset = offset
        self.size = size
        self.fields = fields
        self.children = children
    }
}

extension DumpNode {
    /// The error text ``BoxDump`` recorded for the first box (depth first) it could not decode (the
    /// ``MP4Error`` text names the box path and offset); nil when every box decoded.
    public var firstError: String? {
        if let f = fields.first(where: { $0.key == "error" }) { return f.value.text }
        return children.lazy.compactMap(\.firstError).first
    }
}
