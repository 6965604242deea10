// swift-tools-version: 6.1
// An example of using smoothpack as a library from a build script: its own package, depending on the
// smoothpack repository by path. Build and run it from this folder:
//   swift build
//   swift run package-clip <source> <out dir> [profile]
import PackageDescription

let package = Package(
    name: "BuildScript",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The smoothpack repository two levels up; `name:` fixes the identity whatever the clone's folder is called.
        .package(name: "smoothpack", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "package-clip",
            dependencies: [.product(name: "SmoothPack", package: "smoothpack")],
            path: "Sources/BuildScript"),
    ],
    swiftLanguageModes: [.v6]
)
