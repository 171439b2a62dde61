import KctlModel

/// The items of a list response and the revision to start a watch from.
public struct ObjectList: Sendable {
    public var items: [KubeObject]
    public var resourceVersion: String

    public init(items: [KubeObject], resourceVersion: String) {
        self.items = items
        self.resourceVersion = resourceVersion
    }
}

/// One event of a watch stream: `ADDED`, `MODIFIED`, `DELETED` or `BOOKMARK`, with the object.
/// (`ERROR` events are thrown as `StatusError` instead.)
public struct ClientWatchEvent: Sendable {
    public var type: String
    public var object: KubeObject

    public init(type: String, object: KubeObject) {
        self.type = type
        self.object = object
    }
}
