import Foundation
import KctlModel
import Testing

@testable import KctlControllers

/// The Deployment controller decodes a Deployment without its pod template: everything else reads the same.
@Suite struct DeploymentDecodingTests {
    @Test func theTypedDeploymentReadsTheSameWithoutItsTemplate() throws {
        var object = try deployment("web", replicas: 4, strategy: "RollingUpdate")
        object.json["spec"]?["paused"] = true
        object.json["spec"]?["progressDeadlineSeconds"] = 120
        object.json["spec"]?["minReadySeconds"] = 5
        object.json["spec"]?["revisionHistoryLimit"] = 2
        object.json["spec"]?["strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 2, "maxUnavailable": "10%"]]
        object.json["status"] = ["replicas": 3, "collisionCount": 1, "conditions": [["type": "Available", "status": "True"]]]
        let full = try Deployment(object)
        let stripped = DeploymentReconciler.withoutTemplate(object)
        #expect(stripped.json["spec"]?["template"] == ["spec": ["containers": []]])
        var light = try Deployment(stripped)
        #expect(light.spec?.template != full.spec?.template)
        light.spec?.template = full.spec!.template
        #expect(light == full)
        // Without a spec or a template there is nothing to strip.
        var bare = object
        bare.json["spec"] = nil
        #expect(DeploymentReconciler.withoutTemplate(bare) == bare)
    }
}
