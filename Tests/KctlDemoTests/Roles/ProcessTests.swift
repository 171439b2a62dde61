import Foundation
import Testing

@testable import KctlDemo

/// The built `kctl-demo` as the node agent runs it: a child process, stopped with SIGTERM.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Demo.binary.path)))
struct ProcessTests {
    /// A started `kctl-demo`, its output in a file; killed when the test is over.
    final class Child {
        let process = Process()
        let output: URL

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            output = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-demo-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.executableURL = Demo.binary
            process.arguments = arguments
            process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { given, _ in given }
            process.currentDirectoryURL = FileManager.default.temporaryDirectory
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: output)
        }

        var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// The base URL, read from the start line.
        func baseURL() async throws -> String {
            var found: String?
            _ = await Demo.eventually {
                found = log.split(separator: "\n").first { $0.contains(" listening on ") }
                    .map { String($0.split(separator: " ").last!) }
                return found != nil
            }
            return "http://" + (try #require(found, "no start line in: \(log)"))
        }

        func exitCode() async -> Int32? {
            guard await Demo.eventually(timeout: .seconds(20), { !process.isRunning }) else { return nil }
            return process.terminationStatus
        }
    }

    @Test func crashExitsWithTheGivenCode() async throws {
        let child = try Child(["crash"], environment: ["EXIT_CODE": "7"])
        #expect(await child.exitCode() == 7)
        #expect(child.log.contains("exiting with code 7"))
    }

    @Test func sigtermLetsTheRequestInFlightFinishThenExitsZero() async throws {
        let child = try Child(["shop-queue", "--listen", "127.0.0.1:0"])
        let base = try await child.baseURL()
        async let poll = Demo.http.post("\(base)/queue/dequeue?wait=25", json: "", timeout: .seconds(30))
        let polling = try await Demo.eventually {
            Demo.sample("http_requests_in_flight", in: try await Demo.http.get("\(base)/metrics").body) == 2
        }
        #expect(polling)
        child.process.terminate()
        // The long poll is answered (empty), not cut off, and the process exits cleanly.
        #expect(try await poll.status == 204)
        #expect(await child.exitCode() == 0)
        #expect(child.log.contains("shop-queue listening on 127.0.0.1:"))
    }

    @Test func sleepWaitsForSigterm() async throws {
        let child = try Child(["sleep"])
        let waiting = await Demo.eventually { child.log.contains("waiting for SIGTERM") }
        #expect(waiting)
        #expect(child.process.isRunning)
        child.process.terminate()
        #expect(await child.exitCode() == 0)
    }
}
