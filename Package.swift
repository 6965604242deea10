// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "smoothpack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "smoothpack", targets: ["PackagerCLI"]),
        .library(name: "SmoothPack", targets: ["SmoothPack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "MediaCore", swiftSettings: strict),
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libswscale-dev",
                                         "libswresample-dev", "libavutil-dev"])]),
        .target(name: "FFmpeg", dependencies: ["CFFmpeg", "MediaCore"], swiftSettings: strict),
        .target(name: "Planning", dependencies: ["MediaCore", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        .target(name: "Transcode", dependencies: ["FFmpeg", "MediaCore", "Planning"], swiftSettings: strict),
        .target(name: "SmoothManifest", dependencies: ["MediaCore"], swiftSettings: strict),
        .target(name: "ISOBMFF", dependencies: ["MediaCore"], swiftSettings: strict),
        .target(name: "SmoothPack", dependencies: ["FFmpeg", "Transcode", "Planning", "ISOBMFF", "SmoothManifest", "MediaCore"],
                swiftSettings: strict),
        .executableTarget(name: "PackagerCLI", dependencies: [
            "SmoothPack", "ISOBMFF", "FFmpeg", "Planning", "MediaCore", "SmoothManifest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        .target(name: "TestSupport", swiftSettings: strict),
        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore"], swiftSettings: strict),
        .testTarget(name: "ISOBMFFTests", dependencies: ["ISOBMFF", "MediaCore"], exclude: ["Golden"],
                    swiftSettings: strict),
        .testTarget(name: "SmoothManifestTests", dependencies: ["SmoothManifest", "MediaCore"],
                    exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "PlanningTests", dependencies: ["Planning", "MediaCore"], swiftSettings: strict),
        .testTarget(name: "SmoothPackTests", dependencies: ["SmoothPack", "ISOBMFF", "SmoothManifest", "Planning", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "TranscodeTests", dependencies: ["Transcode", "FFmpeg", "Planning", "MediaCore", "TestSupport"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
