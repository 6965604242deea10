/// One sample of a `trun` (ISO/IEC 14496-12 §8.8.8). Which fields are present decides the trun
/// flags; every sample of one trun must have the same fields present.
public struct TrunSample: Sendable, Equatable {
    public var duration: UInt32?  // flag 0x000100
    public var size: UInt32?  // flag 0x000200
    public var flags: UInt32?  // flag 0x000400
    /// Signed composition offset (trun version 1, docs/format.md §1.5 option A).
    public var compositionOffset: Int32?  // flag 0x000800

    public init(duration: UInt32? = nil, size: UInt32? = nil, flags: UInt32? = nil, compositionOffset: Int32? = nil) {
        self.duration = duration
        self.size = size
        self.flags = flags
        self.compositionOffset = compositionOffset
    }

    /// The trun flag bits for the fields present.
    var fieldFlags: UInt32 {
        (duration != nil ? 0x100 : 0) | (size != nil ? 0x200 : 0) | (flags != nil ? 0x400 : 0)
            | (compositionOffset != nil ? 0x800 : 0)
    }
}
