namespace Conveyor.Cli.Kafka;

/// <summary>
/// A command cannot go on for a reason the user can fix; the message says what was wrong and what
/// to do. The CLI prints it and exits with <see cref="ExitCode"/>.
/// </summary>
internal sealed class CommandFailedException : Exception
{
    public CommandFailedException(string message, int exitCode = ExitCodes.Failure)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }
}
