import Foundation
import KctlModel

/// `Timestamp.now()` for every write, formatted at most once per second: formatting costs more
/// than the rest of preparing a create.
final class TimestampSource: Sendable {
    private let cache = Locked<(second: Int, text: String)>((second: -1, text: ""))

    func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let second = spec.tv_sec
        if let hit = cache.withLock({ $0.second == second ? $0.text : nil }) { return hit }
        let text = Timestamp.format(Date(timeIntervalSince1970: TimeInterval(second)))
        cache.withLock { $0 = (second, text) }
        return text
    }
}
