import ArgumentParser

/// kctl-bench: every benchmark prints a table of our figures next to a reference measured in the
/// same run (or, where none can run here, a quoted one, marked as such).
@main
struct KctlBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kctl-bench",
        abstract: "kctl benchmarks: the store and API (default), the scheduler, and the node agents.",
        subcommands: [BenchCommand.self, SchedulerBench.self, AgentBench.self],
        defaultSubcommand: BenchCommand.self)
}
