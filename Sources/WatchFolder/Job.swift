public import Foundation
internal import SmoothManifest
internal import Platform
internal import SystemPackage

/// Where a job is in its life: `queued → running → done | failed`, with `running → queued` for a retry,
/// an interrupted run (crash, shutdown) or a cancelled one.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for a worker (possibly not before ``Job/notBefore``, after a transient failure).
    case queued
    /// Claimed by a worker that is encoding it.
    case running
    /// Published; the source got its on-success treatment.
    case done
    /// Failed for good (bad media, or transient errors past the attempt limit).
    case failed

    /// Whether nothing more will happen to the job.
    public var isFinal: Bool { self == .done || self == .failed }
}

/// What identifies a file's contents cheaply: size, modification time and a SHA-256 of its first and last
/// 64 KiB. The same fingerprint under a new name is the same job (a rename keeps all three); a file that
/// changed, or was copied anew (new mtime), is a new one.
public struct Fingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Bytes hashed at each end of the file.
    public static let edgeLength = 64 * 1024

    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var modificationTime: Int64
    /// Lowercase hex SHA-256 of the first and the last ``edgeLength`` bytes (the whole file when smaller).
    public var edgeHash: String

    public init(size: Int64, modificationTime: Int64, edgeHash: String) {
        self.size = size
        self.modificationTime = modificationTime
        self.edgeHash = edgeHash
    }

    /// The text stored in the jobs table's unique `fingerprint` column.
    public var key: String { "\(size)-\(modificationTime)-\(edgeHash)" }

    public var description: String { key }

    /// Reads the file's size and mtime, hashes its ends, and checks that size and mtime did not change
    /// meanwhile (else the file is still being written and this throws ``FileChangedError``).
    public static func compute(path: String) throws -> Fingerprint {
        let before = try FileStat(path: path)
        let file = try ReadableFile(path: path)
        defer { file.close() }
        // Reads are bounded by the size taken at open: a file that grew since hashes as it was, and the
        // stat below notices the change.
        let size = min(before.size, file.size)
        var hash = SHA256()
        hash.update(Array("size \(before.size)\n".utf8))
        hash.update(try file.read(at: 0, count: Int(min(Int64(edgeLength), size))))
        if size > Int64(edgeLength) {
            let tailStart = max(Int64(edgeLength), size - Int64(edgeLength))
            hash.update(try file.read(at: tailStart, count: Int(size - tailStart)))
        }
        let after = try FileStat(path: path)
        guard after == before else { throw FileChangedError(path: path) }
        return Fingerprint(size: before.size, modificationTime: before.modificationTime,
                           edgeHash: Hex.lower(hash.finalize()))
    }
}

/// The file changed while it was being fingerprinted.
public struct FileChangedError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var description: String { "\(path): changed while being read" }
}

/// Size, mtime (ns) and kind of a file, from `stat(2)`.
public struct FileStat: Sendable, Equatable {
    public var size: Int64
    public var modificationTime: Int64
    public var isRegularFile: Bool
    public var isDirectory: Bool

    public init(size: Int64, modificationTime: Int64, isRegularFile: Bool = true, isDirectory: Bool = false) {
        self.size = size
        self.modificationTime = modificationTime
        self.isRegularFile = isRegularFile
        self.isDirectory = isDirectory
    }

    /// `lstat`s `path` (symbolic links are not followed: a link is neither a regular file nor a folder).
    /// Throws the platform layer's error (`lstat(<path>) failed: …`).
    public init(path: String) throws {
        let st = try FileSystem.status(FilePath(path), followSymlinks: false)
        size = st.size
        modificationTime = st.modificationNanoseconds
        isRegularFile = st.isRegularFile
        isDirectory = st.isDirectory
    }
}

/// One source file's trip through the daemon, as stored.
public struct Job: Sendable, Equatable, Codable {
    /// Store-assigned, increasing.
    public var id: Int64
    /// Path relative to the inbox (`a/b/clip.mp4`); updated when a queued source is renamed.
    public var source: String
    public var fingerprint: Fingerprint
    public var state: JobState
    /// Runs started (a run cut short by shutdown is given back).
    public var attempts: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// When the last run started.
    public var startedAt: Date?
    /// When the job became done or failed.
    public var finishedAt: Date?
    /// A queued job is not claimed before this (backoff after a transient failure).
    public var notBefore: Date?
    /// The last error, one line.
    public var error: String?
    /// Object key prefix of the presentation relative to `<out>`: `a/b/clip/<version>/`.
    public var outputPrefix: String?
    /// Path players open, relative to `<out>`: `a/b/clip/<version>/clip.ism/Manifest`.
    public var playbackPath: String?

    public init(id: Int64, source: String, fingerprint: Fingerprint, state: JobState, attempts: Int = 0,
                createdAt: Date, updatedAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil,
                notBefore: Date? = nil, error: String? = nil, outputPrefix: String? = nil, playbackPath: String? = nil) {
        self.id = id
        self.source = source
        self.fingerprint = fingerprint
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.notBefore = notBefore
        self.error = error
        self.outputPrefix = outputPrefix
        self.playbackPath = playbackPath
    }
}
