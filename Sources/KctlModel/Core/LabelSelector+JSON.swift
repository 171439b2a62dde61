extension LabelSelector {
    /// The selector `json.decode(LabelSelector.self)` gives, read straight from the JSON; nil
    /// where that decoding throws. The scheduler reads a selector from each topology spread
    /// constraint of every pod it parses, where the Codable decoding cost more than the rest of
    /// the pod.
    public init?(json: JSONValue) {
        guard case .object(let fields) = json else { return nil }
        var selector = LabelSelector()
        switch fields["matchLabels"] {
        case nil, .null?: break
        case .object(let labels)?:
            var strings: [String: String] = [:]
            strings.reserveCapacity(labels.count)
            for (key, value) in labels {
                guard case .string(let text) = value else { return nil }
                strings[key] = text
            }
            selector.matchLabels = strings
        default: return nil
        }
        switch fields["matchExpressions"] {
        case nil, .null?: break
        case .array(let items)?:
            var requirements: [Requirement] = []
            requirements.reserveCapacity(items.count)
            for item in items {
                guard case .object(let requirement) = item, case .string(let key)? = requirement["key"],
                    case .string(let name)? = requirement["operator"], let op = Requirement.Operator(rawValue: name)
                else { return nil }
                var values: [String]?
                switch requirement["values"] {
                case nil, .null?: values = nil
                case .array(let list)?:
                    var strings: [String] = []
                    strings.reserveCapacity(list.count)
                    for value in list {
                        guard case .string(let text) = value else { return nil }
                        strings.append(text)
                    }
                    values = strings
                default: return nil
                }
                requirements.append(Requirement(key: key, operator: op, values: values))
            }
            selector.matchExpressions = requirements
        default: return nil
        }
        self = selector
    }
}
