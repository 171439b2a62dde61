import Testing
@testable import KctlSupervisor

@Test func supervisorModuleBuilds() {}
