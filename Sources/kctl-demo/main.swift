import KctlDemo

await DemoCommand.runAndExit()
