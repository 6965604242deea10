// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "smoothpack",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex
    products: [
        .executable(name: "smoothpack", targets: ["PackagerCLI"]),
        .library(name: "SmoothPack", targets: ["SmoothPack"]),
        .library(name: "Origin", targets: ["Origin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
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
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Files, digests, blocking work on threads, locks: the one layer under every module.
        .target(name: "Platform", dependencies: ["CCrypto", .product(name: "SystemPackage", package: "swift-system")],
                swiftSettings: strict),
        .target(name: "SmoothManifest", dependencies: ["MediaCore", "CCrypto"], swiftSettings: strict),
        .target(name: "ISOBMFF", dependencies: ["MediaCore"], swiftSettings: strict),
        .target(name: "SmoothPack", dependencies: ["FFmpeg", "Transcode", "Planning", "ISOBMFF", "SmoothManifest", "MediaCore"],
                swiftSettings: strict),
        .target(name: "Origin", dependencies: [
            "ISOBMFF", "SmoothManifest",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], swiftSettings: strict),
        .target(name: "WatchFolder", dependencies: [
            "SmoothPack", "SmoothManifest",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .executableTarget(name: "PackagerCLI", dependencies: [
            "SmoothPack", "ISOBMFF", "FFmpeg", "Planning", "MediaCore", "SmoothManifest", "WatchFolder", "Origin",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .target(name: "TestSupport", swiftSettings: strict),
        .testTarget(name: "PlatformTests", dependencies: ["Platform", .product(name: "SystemPackage", package: "swift-system")],
                    swiftSettings: strict),
        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore"], swiftSettings: strict),
        .testTarget(name: "ISOBMFFTests", dependencies: ["ISOBMFF", "MediaCore"], exclude: ["Golden"],
                    swiftSettings: strict),
        .testTarget(name: "SmoothManifestTests", dependencies: ["SmoothManifest", "MediaCore"],
                    exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "PlanningTests", dependencies: ["Planning", "MediaCore"], swiftSettings: strict),
        .testTarget(name: "SmoothPackTests", dependencies: ["SmoothPack", "ISOBMFF", "SmoothManifest", "Planning", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "OriginTests", dependencies: [
            "Origin", "ISOBMFF", "SmoothManifest", "SmoothPack", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "InMemoryLogging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], swiftSettings: strict),
        .testTarget(name: "WatchFolderTests", dependencies: [
            "WatchFolder", "SmoothPack", "TestSupport", "PackagerCLI",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "HostileInputTests", dependencies: ["ISOBMFF", "SmoothManifest", "MediaCore", "TestSupport"],
                    exclude: ["FuzzRegressions"], swiftSettings: strict),
        .testTarget(name: "TranscodeTests", dependencies: ["Transcode", "FFmpeg", "Planning", "MediaCore", "TestSupport"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
