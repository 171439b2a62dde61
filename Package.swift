// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kctld", targets: ["kctld"]),
        .executable(name: "kctl", targets: ["kctl"]),
        .executable(name: "kctl-bench", targets: ["kctl-bench"]),
        .executable(name: "kctl-demo", targets: ["kctl-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // The system SQLite (Debian libsqlite3-dev), reached through a module map.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "KctlModel",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "KctlStore",
            dependencies: [
                "KctlModel", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // What kctl's HTTP servers share: each connection handled on its own event loop.
        .target(
            name: "KctlServerRuntime",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KctlAPIServer",
            dependencies: [
                "KctlModel", "KctlStore", "KctlServerRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KctlClient",
            dependencies: [
                "KctlModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KctlCLI",
            dependencies: [
                "KctlModel", "KctlClient", "KctlScheduler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "KctlControllerRuntime",
            dependencies: [
                "KctlModel", "KctlStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KctlControllers",
            dependencies: [
                "KctlModel", "KctlStore", "KctlControllerRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KctlScheduler",
            dependencies: [
                "KctlModel", "KctlStore", "KctlControllerRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The metrics pipeline: recent samples (scraped /metrics, pushes, node agents' usage) for the HPA.
        .target(
            name: "KctlMetrics",
            dependencies: [
                "KctlModel", "KctlStore", "KctlControllerRuntime", "KctlControllers", "KctlAPIServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // fork/exec in C: what must happen in the child between fork and exec (process group,
        // parent-death signal, signal reset, fds) cannot be written safely in Swift.
        .target(name: "CKctlSpawn", path: "Sources/CKctlSpawn"),
        .target(
            name: "KctlSupervisor",
            dependencies: [
                "CKctlSpawn",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "KctlAgent",
            dependencies: [
                "KctlModel", "KctlStore", "KctlControllerRuntime", "KctlSupervisor",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KctlProxy",
            dependencies: [
                "KctlModel", "KctlStore", "KctlControllerRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KctlDaemon",
            dependencies: [
                "KctlModel", "KctlStore", "KctlAPIServer", "KctlClient",
                "KctlControllerRuntime", "KctlControllers", "KctlScheduler", "KctlAgent", "KctlProxy", "KctlMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "kctld",
            dependencies: [
                "KctlDaemon", "KctlAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "kctl", dependencies: ["KctlCLI"]),
        // The seed scenarios' services (chat, learning platform, shop, legacy) as one program.
        .executableTarget(name: "kctl-demo", dependencies: ["KctlDemo"]),
        .target(
            name: "KctlDemo",
            dependencies: [
                "CSQLite", "KctlServerRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "kctl-bench",
            dependencies: [
                "KctlModel", "KctlStore", "KctlClient", "KctlDaemon", "KctlScheduler", "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers for tests: a real kctld in process, deadlines and polling. Not in any product.
        .target(
            name: "KctlTestSupport",
            dependencies: [
                "KctlDaemon", "KctlClient", "KctlModel", "KctlSupervisor", "KctlAPIServer", "KctlStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(name: "KctlModelTests", dependencies: ["KctlModel", "KctlTestSupport"]),
        .testTarget(name: "KctlStoreTests", dependencies: ["KctlStore", "KctlModel", "KctlTestSupport"]),
        .testTarget(
            name: "KctlControllerRuntimeTests",
            dependencies: ["KctlControllerRuntime", "KctlStore", "KctlModel", "KctlTestSupport"]),
        .testTarget(
            name: "KctlControllersTests",
            dependencies: ["KctlControllers", "KctlControllerRuntime", "KctlStore", "KctlModel", "KctlTestSupport"]),
        .testTarget(
            name: "KctlSchedulerTests",
            dependencies: ["KctlScheduler", "KctlControllerRuntime", "KctlStore", "KctlModel", "KctlTestSupport"]),
        .testTarget(name: "KctlSupervisorTests", dependencies: ["KctlSupervisor", "KctlTestSupport"]),
        .testTarget(
            name: "KctlMetricsTests",
            dependencies: [
                "KctlMetrics", "KctlAPIServer", "KctlControllers", "KctlControllerRuntime", "KctlStore", "KctlModel",
                "KctlTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "KctlDemoTests", dependencies: ["KctlDemo", "KctlModel"]),
        .testTarget(
            name: "KctlAgentTests",
            dependencies: [
                "KctlAgent", "KctlSupervisor", "KctlControllerRuntime", "KctlStore", "KctlModel", "KctlTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "KctlAPIServerTests",
            dependencies: [
                "KctlAPIServer", "KctlDaemon", "KctlClient", "KctlStore", "KctlModel", "KctlTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "KctlCLITests",
            dependencies: [
                "KctlCLI", "KctlDaemon", "KctlClient", "KctlModel", "KctlTestSupport", "KctlAPIServer", "KctlStore",
                "KctlAgent", "KctlMetrics",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "KctlProxyTests",
            dependencies: [
                "KctlProxy", "KctlModel", "KctlStore", "KctlControllerRuntime", "KctlTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
