import KctlCLI

await KctlCommand.main()
