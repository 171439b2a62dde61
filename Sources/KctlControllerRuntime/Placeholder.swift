// The KctlControllerRuntime module.
