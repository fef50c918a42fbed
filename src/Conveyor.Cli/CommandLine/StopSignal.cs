namespace Conveyor.Cli.CommandLine;

/// <summary>A signal that asks the command to stop.</summary>
internal enum StopSignal
{
    /// <summary>Ctrl-C (SIGINT).</summary>
    Interrupt = 1,

    /// <summary>SIGTERM: a service manager, a container runtime or <c>kill</c> asking the process to end.</summary>
    Terminate = 2,
}
