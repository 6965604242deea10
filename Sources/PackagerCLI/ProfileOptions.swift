import ArgumentParser
import SmoothPack

/// `--profile` and `--profiles-dir`, shared by every command that encodes or plans.
struct ProfileOptions: ParsableArguments {
    @Option(help: "Profile name (default, fast, bench-4rung, or one in --profiles-dir) or a .yaml path.")
    var profile = "default"

    @Option(help: "Directory of profile files (default: the repository's or installed profiles/).")
    var profilesDir: String?

    /// A path (ends in .yaml/.yml or contains /) or a name.
    var selection: ProfileSelection {
        profile.hasSuffix(".yaml") || profile.hasSuffix(".yml") || profile.contains("/") ? .file(profile) : .named(profile)
    }
}
