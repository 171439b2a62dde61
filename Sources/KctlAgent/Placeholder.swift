// The KctlAgent module.
