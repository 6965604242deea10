/// An error reading or writing ISO BMFF data: what went wrong, in which box (path such as
/// `moof/traf/trun`) and at which byte offset of the file or buffer.
public struct MP4Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// A box or payload is larger than the writer or a reader cap allows.
        case boxTooLarge
        /// The data ends before a box or field does.
        case truncated
        /// A field read ran past the end of its box.
        case overread
        /// A box size field is 0 ("to end of file") — never written by us, refused when read.
        case zeroSize
        /// A box size field is smaller than its own header.
        case badSize
        /// A child box extends past the end of its parent.
        case overlapping
        /// A box appeared where another was required.
        case unexpectedBox
        /// A required box is absent.
        case missingBox
        /// A field has a value this reader does not accept.
        case invalidValue
        /// A box body has bytes left over after its fields were read.
        case trailingBytes
        /// Reading or writing the file failed (errno text in `detail`).
        case io
    }

    public var code: Code
    /// The type of the box concerned.
    public var box: FourCC
    /// Slash-separated box path from the top level, e.g. `moof/traf/trun`; empty when unknown.
    public var path: String
    /// Byte offset of the failure in the file or buffer, when known.
    public var offset: Int64?
    /// Human-readable detail.
    public var detail: String

    public init(code: Code, box: FourCC, path: String = "", offset: Int64? = nil, detail: String = "") {
        self.code = code
        self.box = box
        self.path = path
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        let at = offset.map { " at offset \($0)" } ?? ""
        let location = !path.isEmpty ? " in \(path)" : box == "    " ? "" : " in \(box)"
        return "\(code.rawValue)\(location)\(at)\(detail.isEmpty ? "" : ": \(detail)")"
    }
}
