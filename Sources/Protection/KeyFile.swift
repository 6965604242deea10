public import Foundation

/// The `--key-file` JSON (docs/format.md §12.8, README "Protected output"):
///
/// ```json
/// { "video": { "kid": "<32 hex>", "key": "<32 hex>" },
///   "audio": { "kid": "<32 hex>", "key": "<32 hex>" },
///   "la_url": "https://licence.example.com/rightsmanager.asmx" }
/// ```
///
/// `"all"` instead of `"video"`/`"audio"` uses one key for every track; `audio` alone is refused; `la_url` is
/// optional (`--la-url` wins). KIDs may carry UUID dashes. Errors name the file and field, never a key.
public enum KeyFile {
    public static func load(path: String, licenseURL: String?) throws(ProtectionError) -> ProtectionSettings {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .invalidKeyFile("\(path): cannot read (\((error as NSError).localizedDescription))")
        }
        guard data.count <= 1 << 20 else { throw .invalidKeyFile("\(path): larger than 1 MiB") }
        return try parse(data, name: path, licenseURL: licenseURL)
    }

    public static func parse(_ data: Data, name: String, licenseURL: String?) throws(ProtectionError) -> ProtectionSettings {
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ProtectionError.invalidKeyFile("\(name): not a JSON object")
            }
            object = o
        } catch let e as ProtectionError { throw e } catch {
            throw .invalidKeyFile("\(name): not valid JSON")
        }
        let known: Set<String> = ["all", "video", "audio", "la_url"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalidKeyFile("\(name): unknown field \"\(unknown.prefix(40))\" (all, video, audio, la_url)")
        }
        func key(_ field: String) throws(ProtectionError) -> ContentKey? {
            guard let value = object[field] else { return nil }
            guard let entry = value as? [String: Any], let kid = entry["kid"] as? String, let k = entry["key"] as? String else {
                throw .invalidKeyFile("\(name): \"\(field)\" must be {\"kid\": \"…\", \"key\": \"…\"}")
            }
            do { return ContentKey(kid: try KeyID(hex: kid), key: try SecretKey(hex: k)) } catch {
                throw .invalidKeyFile("\(name): \(field): \(error)")
            }
        }
        var url = licenseURL
        if url == nil, let v = object["la_url"] {
            guard let s = v as? String else { throw .invalidKeyFile("\(name): \"la_url\" must be a string") }
            url = s
        }
        let all = try key("all"), video = try key("video"), audio = try key("audio")
        switch (all, video, audio) {
        case (let a?, nil, nil): return try ProtectionSettings(video: a, licenseURL: url)
        case (nil, let v?, let a): return try ProtectionSettings(video: v, audio: a, licenseURL: url)
        case (nil, nil, _): throw .invalidKeyFile("\(name): give \"all\", or \"video\" (and optionally \"audio\")")
        default: throw .invalidKeyFile("\(name): \"all\" cannot be combined with \"video\"/\"audio\"")
        }
    }
}
