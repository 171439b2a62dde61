import Foundation

/// One file of a configMap or secret volume: its bytes and mode.
public struct VolumeFile: Sendable, Hashable {
    public var data: Data
    public var mode: Int32

    public init(data: Data, mode: Int32) {
        self.data = data
        self.mode = mode
    }
}

/// Writes a configMap or secret volume so that a reader never sees half of an update, the way the
/// kubelet does: the files go into a fresh hidden directory, the `..data` symlink is swapped to it
/// with one `rename(2)`, and each visible entry is a symlink through `..data`:
///
///     <volume>/..AbC123/token        the files of the current version
///     <volume>/..data -> ..AbC123
///     <volume>/token  -> ..data/token
///
/// A program that opens `token` gets either the old or the new file whole. Not thread-safe: the
/// pod's worker calls it from its actor, one write at a time per volume.
enum VolumeFileWriter {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes `directory` show exactly `files` (relative path -> file); true when something changed.
    @discardableResult
    static func write(_ files: [String: VolumeFile], to directory: String) throws(Failure) -> Bool {
        for path in files.keys {
            let parts = path.split(separator: "/")
            if path.hasPrefix("/") || parts.isEmpty || parts.contains("..") || parts[0].hasPrefix("..") {
                throw Failure(description: "invalid file path \"\(path)\" in the volume")
            }
        }
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(directory): \(Self.reason(error))")
        }
        let dataLink = directory + "/..data"
        if let current = try? fm.destinationOfSymbolicLink(atPath: dataLink),
            Self.holds(directory + "/" + current, exactly: files)
        {
            Self.linkEntries(of: files, in: directory)
            return false
        }

        // 1. The new version in a directory of its own.
        var template = Array((directory + "/..XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "cannot create a directory in \(directory): \(String(cString: strerror(errno)))")
        }
        let version = String(cString: made)
        chmod(version, 0o755)
        for (path, file) in files {
            let target = version + "/" + path
            do {
                let parent = (target as NSString).deletingLastPathComponent
                try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
                try file.data.write(to: URL(fileURLWithPath: target))
            } catch {
                try? fm.removeItem(atPath: version)
                throw Failure(description: "cannot write \(path): \(Self.reason(error))")
            }
            chmod(target, mode_t(file.mode & 0o7777))
        }

        // 2. One rename makes it current.
        let name = (version as NSString).lastPathComponent
        let temporaryLink = directory + "/..data_tmp"
        unlink(temporaryLink)
        guard symlink(name, temporaryLink) == 0, rename(temporaryLink, dataLink) == 0 else {
            let message = String(cString: strerror(errno))
            try? fm.removeItem(atPath: version)
            throw Failure(description: "cannot switch \(dataLink) to the new version: \(message)")
        }

        // 3. Visible entries through ..data; the old version and stale entries go.
        Self.linkEntries(of: files, in: directory)
        for entry in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + entry
            if entry.hasPrefix("..") {
                if entry != name && entry != "..data" { try? fm.removeItem(atPath: path) }
            } else if !Self.topLevelNames(of: files).contains(entry) {
                try? fm.removeItem(atPath: path)
            }
        }
        return true
    }

    /// The first path element of each file.
    private static func topLevelNames(of files: [String: VolumeFile]) -> Set<String> {
        Set(files.keys.compactMap { $0.split(separator: "/").first.map(String.init) })
    }

    /// `name -> ..data/name` for each top-level name that lacks it.
    private static func linkEntries(of files: [String: VolumeFile], in directory: String) {
        for name in topLevelNames(of: files) {
            let path = directory + "/" + name
            let wanted = "..data/" + name
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == wanted { continue }
            unlink(path)
            symlink(wanted, path)
        }
    }

    /// Whether `version` holds exactly `files`, with the same bytes and modes.
    private static func holds(_ version: String, exactly files: [String: VolumeFile]) -> Bool {
        guard let enumerator = FileManager.default.enumerator(atPath: version) else { return false }
        var seen = 0
        while let relative = enumerator.nextObject() as? String {
            let path = version + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { return false }
            if info.st_mode & S_IFMT == S_IFDIR { continue }
            guard let file = files[relative], info.st_mode & S_IFMT == S_IFREG,
                Int32(info.st_mode & 0o7777) == file.mode & 0o7777,
                FileManager.default.contents(atPath: path) == file.data
            else { return false }
            seen += 1
        }
        return seen == files.count
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? error.localizedDescription
    }
}
