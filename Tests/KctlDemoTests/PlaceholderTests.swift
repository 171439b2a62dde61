import Testing
@testable import KctlDemo

@Test func demoModuleBuilds() {}
