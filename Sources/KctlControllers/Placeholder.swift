// The KctlControllers module.
