using System.CommandLine;
using Conveyor.Cli.Commands;

namespace Conveyor.Cli.CommandLine;

/// <summary>The <c>conveyor</c> command tree, and how it is invoked.</summary>
internal static class ConveyorCommandLine
{
    /// <summary>How long a command gets to stop cleanly after Ctrl-C or SIGTERM (commit, leave the group).</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    /// <summary><c>--verbose</c>, on every command: a failure's stack trace is printed too.</summary>
    public static Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "On failure, print the stack trace as well",
        Recursive = true,
    };

    public static Command Create()
    {
        // A plain command named "conveyor" rather than RootCommand, whose name would be the
        // assembly's file name.
        var root = new Command("conveyor", "Conveyor: Kafka processing for .NET that never loses a message")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
            Verbose,
            BrokerCommand.Create(),
            ProduceCommand.Create(),
            ConsumeCommand.Create(),
            DemoCommand.Create(),
            PipeCommand.Create(),
            VerifyCommand.Create(),
            VerifyWorkerCommand.Create(),
            DlqCommand.Create(),
            LagCommand.Create(),
            OffsetsCommand.Create(),
            DashboardCommand.Create(),
            ControlCommands.Create(),
        };
        Durations.Apply(root);
        return root;
    }

    /// <summary>
    /// Parses and runs; a parse error prints one line (the problem and where help is) and exits
    /// with <see cref="ExitCodes.Usage"/>; no command at all prints the help.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        var parsed = Create().Parse(args);
        if (parsed.Errors.Count > 0 && args.Length > 0)
        {
            await (errors ?? Console.Error).WriteLineAsync(UsageErrors.Describe(parsed)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = errors ?? Console.Error,
            ProcessTerminationTimeout = StopTimeout,
        };
        // The first Ctrl-C asks for a clean stop (System.CommandLine cancels the command's token);
        // a second one stops at once, without waiting for handlers or commits.
        var interrupts = 0;
        ConsoleCancelEventHandler forceOnSecond = (_, _) =>
        {
            if (Interlocked.Increment(ref interrupts) >= 2)
            {
                configuration.Error.WriteLine("second Ctrl-C: stopping now, without waiting for running handlers or the final commit");
                Environment.Exit(ExitCodes.Interrupted);
            }
        };
        Console.CancelKeyPress += forceOnSecond;
        try
        {
            var exitCode = await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
            return parsed.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
        }
        finally
        {
            Console.CancelKeyPress -= forceOnSecond;
        }
    }
}
