import KctlModel
import Testing

@Suite struct KubeObjectTests {
    let pod = KubeObject([
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "web-1", "namespace": "default", "resourceVersion": "7", "labels": ["app": "web"]],
        "spec": ["nodeName": "node-1", "containers": [["name": "web", "image": "nginx"]]],
        "status": ["phase": "Pending"],
    ])

    /// What a node agent syncs a pod for: anything but its status and the fields every write changes.
    @Test func aStatusOrVersionChangeIsNoChangeBeyondStatus() {
        var changed = pod
        changed.status = ["phase": "Running", "hostIP": "127.0.0.1"]
        changed.resourceVersion = "8"
        changed.json["metadata"]?["managedFields"] = [["manager": "kctl"]]
        #expect(!changed.differsBeyondStatus(from: pod))
        #expect(!pod.differsBeyondStatus(from: pod))
    }

    @Test func specMetadataAndNewFieldsAreChangesBeyondStatus() {
        var spec = pod
        spec.json["spec"]?["nodeName"] = "node-2"
        var label = pod
        label.json["metadata"]?["labels"]?["app"] = "api"
        var deleting = pod
        deleting.json["metadata"]?["deletionTimestamp"] = "2026-11-30T00:00:00Z"
        var extra = pod
        extra.json["unknown"] = 1
        var fewer = pod
        fewer.json["spec"] = nil
        for changed in [spec, label, deleting, extra, fewer] {
            #expect(changed.differsBeyondStatus(from: pod))
            #expect(pod.differsBeyondStatus(from: changed))
        }
    }
}
