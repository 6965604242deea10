internal import Foundation
internal import ISOBMFF
internal import MediaCore
internal import Protection
internal import Transcode

/// Connects a rendition's sample stream to our PIFF muxer: the file is created when the codec
/// configuration is known, fragments are written as they complete, and `finish` keeps the index.
final class MuxingSink: RenditionSink {
    let path: String
    let trackID: UInt32
    let policy: FragmentationPolicy
    /// Encrypts the samples when the presentation is protected.
    let protector: (any SampleProtector)?
    private var file: FileSink?
    private var fragmenter: Fragmenter?
    private(set) var index: FragmentIndex?
    /// Samples appended; a rendition that got none is left out (its file removed) instead of failing.
    private(set) var sampleCount = 0

    init(path: String, trackID: UInt32, policy: FragmentationPolicy, protector: (any SampleProtector)? = nil) {
        self.path = path
        self.trackID = trackID
        self.policy = policy
        self.protector = protector
    }

    func start(_ config: CodecConfig) throws {
        let file = try FileSink(path: path)
        self.file = file
        fragmenter = try Fragmenter(sink: file, trackID: trackID, codec: config, policy: policy, protector: protector)
    }

    func append(_ sample: EncodedSample) throws {
        guard let fragmenter else { preconditionFailure("append before start") }
        try fragmenter.append(sample)
        sampleCount += 1
    }

    func finish() throws {
        guard let fragmenter, let file else { preconditionFailure("finish before start") }
        guard sampleCount > 0 else {
            try? file.close()
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        index = try fragmenter.finish()
        try file.close()
    }
}
