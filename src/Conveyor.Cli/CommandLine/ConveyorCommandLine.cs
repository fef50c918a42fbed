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
    /// with <see cref="ExitCodes.Usage"/>; no command at all prints the help. Ctrl-C and SIGTERM are
    /// heard from the first line on (<see cref="Interrupts"/>).
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        using var interrupts = Interrupts.Listen(errors ?? Console.Error);
        return await InvokeAsync(args, interrupts, output, errors, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses and runs, hearing Ctrl-C and SIGTERM from <paramref name="interrupts"/>.</summary>
    internal static async Task<int> InvokeAsync(string[] args, Interrupts interrupts, TextWriter? output = null, TextWriter? errors = null, CancellationToken cancellationToken = default)
    {
        var parsed = Create().Parse(args);
        if (parsed.Errors.Count > 0 && args.Length > 0)
        {
            await (errors ?? Console.Error).WriteLineAsync(UsageErrors.Describe(parsed)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (interrupts.Pressed)
        {
            // Nothing started yet: nothing to drain or commit.
            await (errors ?? Console.Error).WriteLineAsync(interrupts.BeforeStartLine).ConfigureAwait(false);
            return interrupts.BeforeStartExitCode;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output ?? Console.Out,
            Error = errors ?? Console.Error,

            // Interrupts alone hears the signals. System.CommandLine's own listener ran before ours and
            // held the signal thread while the command stopped, so a second signal never reached ours.
            ProcessTerminationTimeout = null,
        };

        // The first Ctrl-C or SIGTERM asks for a clean stop: the command's token is cancelled and it
        // gets StopTimeout to drain and commit; a second one stops at once, without waiting for
        // handlers or commits.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interrupts.Stop);
        var exitCode = await interrupts.UntilStoppedAsync(parsed.InvokeAsync(configuration, stop.Token), StopTimeout).ConfigureAwait(false);
        return parsed.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
    }
}
