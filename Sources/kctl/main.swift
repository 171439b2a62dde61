import KctlCLI

await KctlCommand.runAndExit()
