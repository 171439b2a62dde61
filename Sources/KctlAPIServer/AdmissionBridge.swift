import KctlModel
// TEMPORARY until KctlModel's Admission lands.
enum Admission {
    static func admit(_ object: KubeObject, as type: ResourceType, strict: Bool) throws -> KubeObject { object }
    static func validateUpdate(new: KubeObject, old: KubeObject, as type: ResourceType) throws {}
}
