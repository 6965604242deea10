public import Foundation

/// Size, SHA-256 and MD5 of a file, computed in one streaming pass.
public struct FileDigest: Sendable, Equatable {
    /// Bytes read.
    public var size: Int64
    /// 32-byte SHA-256.
    public var sha256: [UInt8]
    /// 16-byte MD5.
    public var md5: [UInt8]

    /// Chunk size for reading (1 MiB): memory stays bounded whatever the file size.
    public static let chunkSize = 1 << 20

    /// Reads `url` in ``chunkSize`` pieces and hashes it.
    public static func compute(_ url: URL) throws(ManifestError) -> FileDigest {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw ManifestError(.fileSystem, url.path, "cannot open: \(error)")
        }
        defer { try? handle.close() }
        var sha = SHA256()
        var md5 = MD5()
        var size: Int64 = 0
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: chunkSize) } catch {
                throw ManifestError(.fileSystem, url.path, "cannot read: \(error)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            chunk.withUnsafeBytes { raw in
                sha.update(raw)
                md5.update(raw)
            }
            size += Int64(chunk.count)
        }
        return FileDigest(size: size, sha256: sha.finalize(), md5: md5.finalize())
    }
}
