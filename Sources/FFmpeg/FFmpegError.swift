internal import CFFmpeg

/// An error returned by an FFmpeg C function, with FFmpeg's own message (`av_strerror`).
///
/// Reads `"avformat_open_input failed: No such file or directory (-2)"`, prefixed by the file when one is
/// involved.
public struct FFmpegError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The negative AVERROR code, or 0 for errors raised by the wrapper itself.
    public var code: Int32
    /// The C function that failed (or the wrapper step, for wrapper-raised errors).
    public var function: String
    /// `av_strerror` text, or the wrapper's explanation.
    public var message: String
    /// The file being read, when the error concerns one.
    public var path: String?

    public init(code: Int32, function: String, path: String? = nil) {
        self.code = code
        self.function = function
        self.message = FFmpegError.text(for: code)
        self.path = path
    }

    /// A wrapper-raised error (no C error code), e.g. "no decoder for codec prores_ks".
    public init(function: String, message: String, path: String? = nil) {
        self.code = 0
        self.function = function
        self.message = message
        self.path = path
    }

    static func outOfMemory(_ function: String) -> FFmpegError {
        FFmpegError(code: cffmpeg_enomem(), function: function)
    }

    public var description: String {
        let core = code == 0 ? "\(function): \(message)" : "\(function) failed: \(message) (\(code))"
        return path.map { "\($0): \(core)" } ?? core
    }

    /// The error with `path` attached, unless one is already there.
    public func about(_ path: String) -> FFmpegError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }

    public var isEndOfFile: Bool { code == cffmpeg_eof() }
    public var isOutOfMemory: Bool { code == cffmpeg_enomem() }

    static func text(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        cffmpeg_strerror(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The one funnel for C return codes: negative means failure.
@discardableResult
func check(_ code: Int32, _ function: StaticString) throws(FFmpegError) -> Int32 {
    guard code >= 0 else { throw FFmpegError(code: code, function: "\(function)") }
    return code
}

/// Outcome of a `receive` call of the send/receive codec API (`EAGAIN` / `AVERROR_EOF` as cases).
public enum Receive: Sendable, Equatable {
    case output, needsInput, endOfStream
}

/// Maps a receive return code onto ``Receive``; other negative codes throw.
func receiveResult(_ code: Int32, _ function: StaticString) throws(FFmpegError) -> Receive {
    if code >= 0 { return .output }
    if code == cffmpeg_eagain() { return .needsInput }
    if code == cffmpeg_eof() { return .endOfStream }
    throw FFmpegError(code: code, function: "\(function)")
}

/// Silences libav* logging below `level` (they print to stderr; libraries must not print).
public enum FFmpegLog {
    public static func quiet() { av_log_set_level(AV_LOG_QUIET) }
    public static func errorsOnly() { av_log_set_level(AV_LOG_ERROR) }
    /// libavcodec and libavformat versions, e.g. "avcodec 59.37.100 avformat 59.27.100".
    public static var libraryVersions: String {
        func v(_ x: UInt32) -> String { "\(x >> 16).\((x >> 8) & 0xFF).\(x & 0xFF)" }
        return "avcodec \(v(cffmpeg_avcodec_version())) avformat \(v(cffmpeg_avformat_version()))"
    }
}
