import Foundation
import Testing

@testable import KctlSupervisor

@Suite struct LogFilesTests {
    private func write(_ text: String, to path: String, append: Bool = false) throws {
        if append, let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        } else {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func rotateCopiesTruncatesAndShifts() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let log = dir + "/c.log"
        try write("small\n", to: log)
        #expect(!LogFiles.rotateIfNeeded(path: log, maxBytes: 100, keep: 2))
        #expect(!LogFiles.rotateIfNeeded(path: dir + "/missing.log", maxBytes: 0, keep: 2))

        try write(String(repeating: "a", count: 150) + "\n", to: log)
        #expect(LogFiles.rotateIfNeeded(path: log, maxBytes: 100, keep: 2))
        #expect(readText(log).isEmpty)
        #expect(readText(log + ".1").hasPrefix("aaa"))

        try write(String(repeating: "b", count: 150) + "\n", to: log)
        #expect(LogFiles.rotateIfNeeded(path: log, maxBytes: 100, keep: 2))
        try write(String(repeating: "c", count: 150) + "\n", to: log)
        #expect(LogFiles.rotateIfNeeded(path: log, maxBytes: 100, keep: 2))
        #expect(readText(log + ".1").hasPrefix("ccc"))
        #expect(readText(log + ".2").hasPrefix("bbb"))
        #expect(!FileManager.default.fileExists(atPath: log + ".3"))
    }

    @Test func aChildKeepsAppendingAfterRotation() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let log = dir + "/c.log"
        try await withSupervisor { supervisor in
            let script = "echo first; while [ ! -e go ]; do sleep 0.01; done; echo second"
            let process = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", script], workingDirectory: dir, output: .file(log)))
            #expect(await eventually { readText(log) == "first\n" })
            #expect(LogFiles.rotateIfNeeded(path: log, maxBytes: 1, keep: 1))
            _ = FileManager.default.createFile(atPath: dir + "/go", contents: nil)
            _ = await process.waitForExit()
            #expect(readText(log) == "second\n")  // O_APPEND: no hole of zeros before it
            #expect(readText(log + ".1") == "first\n")
        }
    }

    @Test func tailReadsAcrossRotatedFiles() throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let log = dir + "/c.log"
        try write("1\n2\n", to: log + ".2")
        try write("3\n4\n", to: log + ".1")
        try write("5\n6", to: log)
        func tail(_ lines: Int?, _ limit: Int? = nil) -> String {
            String(decoding: LogFiles.tail(path: log, lines: lines, limitBytes: limit), as: UTF8.self)
        }
        #expect(tail(nil) == "1\n2\n3\n4\n5\n6")
        #expect(tail(2) == "5\n6")
        #expect(tail(3) == "4\n5\n6")
        #expect(tail(5) == "2\n3\n4\n5\n6")
        #expect(tail(100) == "1\n2\n3\n4\n5\n6")
        #expect(tail(0) == "")
        #expect(tail(nil, 3) == "5\n6")
        #expect(tail(4, 4) == "\n5\n6")
        try write("5\n6\n", to: log)
        #expect(tail(1) == "6\n")
        #expect(tail(2) == "5\n6\n")
        #expect(LogFiles.tail(path: dir + "/none", lines: 10, limitBytes: nil).isEmpty)

        // A large file: only the end is read, and the answer is the same.
        let big = dir + "/big.log"
        try write((0..<50_000).map { "line \($0)\n" }.joined(), to: big)
        #expect(String(decoding: LogFiles.tail(path: big, lines: 2, limitBytes: nil), as: UTF8.self) == "line 49998\nline 49999\n")
    }

    @Test func followStreamsNewBytesAndSurvivesTruncation() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let log = dir + "/c.log"
        try write("old\n", to: log)
        let done = Locked(false)
        var iterator = LogFiles.follow(path: log, from: 4, until: { done.withLock { $0 } }).makeAsyncIterator()

        try write("new\n", to: log, append: true)
        #expect(await iterator.next() == Array("new\n".utf8))

        // Copy-truncate: the file shrinks below the offset; reading restarts at 0.
        #expect(LogFiles.rotateIfNeeded(path: log, maxBytes: 1, keep: 1))
        try write("after\n", to: log, append: true)
        #expect(await iterator.next() == Array("after\n".utf8))

        try write("last\n", to: log, append: true)
        done.withLock { $0 = true }
        var rest: [UInt8] = []
        while let bytes = await iterator.next() { rest += bytes }
        #expect(rest == Array("last\n".utf8))
    }

    @Test func followWaitsForTheFileAndEndsOnCancellation() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        let log = dir + "/later.log"
        let stream = LogFiles.follow(path: log, from: 0, until: { false })
        let received = Locked<[UInt8]>([])
        let reader = Task {
            for await bytes in stream { received.withLock { $0 += bytes } }
        }
        try write("hello\n", to: log)
        #expect(await eventually { received.withLock { $0 } == Array("hello\n".utf8) })
        reader.cancel()
        await reader.value  // the stream ended
    }
}
