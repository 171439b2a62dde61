// The KctlScheduler module.
