import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl create namespace|configmap|secret generic ...`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a namespace, a config map or a secret from the command line.",
            subcommands: [CreateNamespace.self, CreateConfigMap.self, CreateSecret.self])
    }

    struct CreateNamespace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "namespace", abstract: "Create a namespace.", aliases: ["ns"])

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The namespace's name.")
        var name: String

        func run() async throws {
            let object = KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
            try await CreateSupport.create(object, as: .namespace, global: global)
        }
    }

    struct CreateConfigMap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "configmap", abstract: "Create a config map from literals and files.", aliases: ["cm"])

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The config map's name.")
        var name: String

        @Option(name: .customLong("from-literal"), help: "A key and value, KEY=VALUE (repeatable).")
        var fromLiteral: [String] = []

        @Option(name: .customLong("from-file"), help: "[KEY=]PATH: a file (key: its name) or a directory's files (repeatable).")
        var fromFile: [String] = []

        func run() async throws {
            let entries = try CreateSupport.entries(literals: fromLiteral, files: fromFile)
            var data: [String: JSONValue] = [:]
            var binary: [String: JSONValue] = [:]
            for (key, bytes) in entries {
                if let text = String(validating: bytes, as: UTF8.self) {
                    data[key] = .string(text)
                } else {
                    binary[key] = .string(Data(bytes).base64EncodedString())
                }
            }
            var object = KubeObject([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": .string(name), "namespace": .string(global.effectiveNamespace)],
            ])
            if !data.isEmpty { object["data"] = .object(data) }
            if !binary.isEmpty { object["binaryData"] = .object(binary) }
            try await CreateSupport.create(object, as: .configMap, global: global)
        }
    }

    struct CreateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "secret", abstract: "Create a secret.", subcommands: [CreateSecretGeneric.self])
    }

    struct CreateSecretGeneric: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generic", abstract: "Create a secret from literals and files (values are base64 in data).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The secret's name.")
        var name: String

        @Option(name: .customLong("from-literal"), help: "A key and value, KEY=VALUE (repeatable).")
        var fromLiteral: [String] = []

        @Option(name: .customLong("from-file"), help: "[KEY=]PATH: a file (key: its name) or a directory's files (repeatable).")
        var fromFile: [String] = []

        @Option(help: "The secret's type.")
        var type: String = "Opaque"

        func run() async throws {
            let entries = try CreateSupport.entries(literals: fromLiteral, files: fromFile)
            var object = KubeObject([
                "apiVersion": "v1", "kind": "Secret", "type": .string(type),
                "metadata": ["name": .string(name), "namespace": .string(global.effectiveNamespace)],
            ])
            if !entries.isEmpty {
                object["data"] = .object(entries.mapValues { .string(Data($0).base64EncodedString()) })
            }
            try await CreateSupport.create(object, as: .secret, global: global)
        }
    }
}

enum CreateSupport {
    /// POSTs the object and prints `secret/NAME created`.
    static func create(_ object: KubeObject, as type: ResourceType, global: GlobalOptions) async throws {
        let io = CommandIO.current
        let created = try await global.withClient { client in
            try await client.create(object, as: type, namespace: type.namespaced ? global.effectiveNamespace : nil)
        }
        io.out("\(type.singular)/\(created.name.isEmpty ? object.name : created.name) created")
    }

    /// Keys and raw values from `--from-literal=k=v` and `--from-file=[k=]path`; duplicate keys are an error.
    static func entries(literals: [String], files: [String]) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        func add(_ key: String, _ value: [UInt8]) throws {
            guard isValidKey(key) else {
                throw CLIError("\"\(key)\" is not a valid key name: use letters, digits, '-', '_' or '.'")
            }
            guard result[key] == nil else { throw CLIError("cannot add key \"\(key)\", another key by that name already exists") }
            result[key] = value
        }
        for literal in literals {
            guard let eq = literal.firstIndex(of: "="), eq != literal.startIndex else {
                throw CLIError("invalid literal source \(literal), expected key=value")
            }
            try add(String(literal[..<eq]), Array(literal[literal.index(after: eq)...].utf8))
        }
        for spec in files {
            var key: String?
            var path = spec
            if let eq = spec.firstIndex(of: "=") {
                key = String(spec[..<eq])
                path = String(spec[spec.index(after: eq)...])
                if key!.isEmpty || path.isEmpty { throw CLIError("invalid file source \(spec), expected [key=]path") }
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CLIError("error reading \(path): no such file or directory")
            }
            if isDirectory.boolValue {
                if key != nil { throw CLIError("cannot give a key for the directory \(path)") }
                for entry in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                    let full = (path as NSString).appendingPathComponent(entry)
                    var entryIsDirectory: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: full, isDirectory: &entryIsDirectory)
                    if entryIsDirectory.boolValue || !isValidKey(entry) { continue }
                    try add(entry, try read(full))
                }
            } else {
                try add(key ?? (path as NSString).lastPathComponent, try read(path))
            }
        }
        return result
    }

    private static func read(_ path: String) throws -> [UInt8] {
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CLIError("error reading \(path): \(error.localizedDescription)")
        }
    }

    static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 253
            && key.unicodeScalars.allSatisfy {
                ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" || $0 == "."
            }
    }
}
