/// The last `capacity` items, oldest first: notifications, sent messages and orders are kept in
/// memory, so a long demo must not grow them without bound.
struct BoundedRing<Element> {
    let capacity: Int
    private(set) var items: [Element] = []
    private var start = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func append(_ item: Element) {
        if items.count < capacity {
            items.append(item)
        } else {
            items[start] = item
            start = (start + 1) % capacity
        }
    }

    /// Oldest first.
    var elements: [Element] { Array(items[start...] + items[..<start]) }

    /// The newest `limit` items, oldest first.
    func last(_ limit: Int) -> [Element] { Array(elements.suffix(max(0, limit))) }

    var count: Int { items.count }
}
