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

    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "MediaCore", swiftSettings: strict),
        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
