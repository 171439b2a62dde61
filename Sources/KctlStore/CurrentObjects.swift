import KctlModel

/// The writer's cache of committed objects, parsed, so that an update does not read and parse
/// the row it replaces. Bounded: when full, an insert evicts a random entry. Not least-recently
/// used, which misses on every access when a client walks more objects than fit; and not the
/// dictionary's first entry, which empties one end of the hash table and packs the rest into
/// long probe runs.
///
/// Not thread-safe; the writer guards it with its lock.
struct CurrentObjects {
    private struct Entry {
        var object: KubeObject
        /// Where the key sits in `keys`.
        var slot: Int
    }

    private var entries: [ObjectKey: Entry] = [:]
    /// Every cached key once, in no order: what eviction picks from.
    private var keys: [ObjectKey] = []
    private var random = SplitMix64(seed: 0x6b63_746c)
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { keys.count }

    subscript(key: ObjectKey) -> KubeObject? { entries[key]?.object }

    mutating func insert(_ key: ObjectKey, _ object: KubeObject) {
        guard capacity > 0 else { return }
        if let slot = entries[key]?.slot {
            entries[key] = Entry(object: object, slot: slot)
            return
        }
        if keys.count >= capacity {
            let slot = Int(random.next() % UInt64(keys.count))
            entries[keys[slot]] = nil
            keys[slot] = key
            entries[key] = Entry(object: object, slot: slot)
            return
        }
        entries[key] = Entry(object: object, slot: keys.count)
        keys.append(key)
    }

    mutating func remove(_ key: ObjectKey) {
        guard let slot = entries.removeValue(forKey: key)?.slot else { return }
        let last = keys.removeLast()
        if slot < keys.count {
            keys[slot] = last
            entries[last]?.slot = slot
        }
    }

    mutating func removeAll() {
        entries.removeAll()
        keys.removeAll()
    }
}
