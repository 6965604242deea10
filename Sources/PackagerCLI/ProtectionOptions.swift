import ArgumentParser
import Protection
import SmoothPack

/// `--encrypt` and its key sources, shared by encode, package and watch (README "Protected output").
struct ProtectionOptions: ParsableArguments {
    @Flag(help: "Encrypt every media file with Common Encryption (cenc, AES-128 CTR) and signal PlayReady in the .ismc and MPD (no HLS is written). Keys come from --key, --key-file, --speke-url or --playready-test-key.")
    var encrypt = false

    @Option(name: .customLong("key"), help: ArgumentHelp(
        "KID:KEY, 32 hex digits each (the KID may carry UUID dashes). Once for all tracks, or twice: video, then audio.",
        valueName: "kid:key"))
    var keys: [String] = []

    @Option(help: ArgumentHelp("JSON key file: {\"video\": {\"kid\": …, \"key\": …}, \"audio\": {…}, \"la_url\": …} or {\"all\": {…}}.",
                               valueName: "path"))
    var keyFile: String?

    @Option(name: .customLong("speke-url"), help: ArgumentHelp(
        "SPEKE v2.0 key server (CPIX, as AWS MediaConvert uses it): one video and one audio key per presentation.",
        valueName: "url"))
    var spekeURL: String?

    @Option(name: .customLong("speke-content-id"), help: "Content ID sent to the SPEKE server (default: the presentation name).")
    var spekeContentID: String?

    @Option(name: .customLong("la-url"), help: ArgumentHelp("PlayReady licence acquisition URL written into the PlayReady header (LA_URL).",
                                                         valueName: "url"))
    var licenseURL: String?

    @Option(name: .customLong("playready-test-key"), help: ArgumentHelp(
        "Use the key Microsoft's public PlayReady test server derives for this KID (once for all tracks, or twice: video, audio); LA_URL defaults to that server. For trying playback only.",
        valueName: "kid"))
    var testKeyIDs: [String] = []

    private var sourceCount: Int {
        (keys.isEmpty ? 0 : 1) + (keyFile == nil ? 0 : 1) + (spekeURL == nil ? 0 : 1) + (testKeyIDs.isEmpty ? 0 : 1)
    }

    func validate() throws {
        if !encrypt {
            if sourceCount > 0 || licenseURL != nil || spekeContentID != nil {
                throw ValidationError("--key, --key-file, --speke-url, --playready-test-key and --la-url need --encrypt")
            }
            return
        }
        guard sourceCount == 1 else {
            throw ValidationError("--encrypt needs exactly one of --key, --key-file, --speke-url, --playready-test-key")
        }
        if spekeContentID != nil && spekeURL == nil { throw ValidationError("--speke-content-id needs --speke-url") }
        // Static keys are checked now, so a typo fails before any encoding (errors never repeat a key).
        if spekeURL == nil {
            do { _ = try staticSettings() } catch let e as ProtectionError { throw ValidationError("\(e)") }
        }
    }

    /// Settings from --key, --key-file or --playready-test-key; nil without --encrypt or with --speke-url.
    func staticSettings() throws -> ProtectionSettings? {
        guard encrypt, spekeURL == nil else { return nil }
        if !keys.isEmpty { return try ProtectionSettings(keyArguments: keys, licenseURL: licenseURL) }
        if let keyFile { return try KeyFile.load(path: keyFile, licenseURL: licenseURL) }
        let kids = try testKeyIDs.map { (k) throws(ProtectionError) in try KeyID(hex: k) }
        return try ProtectionSettings(playReadyTestKIDs: kids, licenseURL: licenseURL)
    }

    /// The settings for a presentation named `name` (SPEKE asks the key server for that content ID).
    func settings(name: String) async throws(ProtectionError) -> ProtectionSettings? {
        guard encrypt else { return nil }
        guard let spekeURL else {
            do { return try staticSettings() } catch let e as ProtectionError { throw e } catch {
                throw .invalidSettings("\(error)")
            }
        }
        return try await SPEKEKeyProvider.settings(url: spekeURL, contentID: spekeContentID ?? name, licenseURL: licenseURL)
    }
}
