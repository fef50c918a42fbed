namespace Conveyor.Cli;

/// <summary>The exit codes of the <c>conveyor</c> command.</summary>
internal static class ExitCodes
{
    /// <summary>Done, or stopped on request (Ctrl-C, SIGTERM).</summary>
    public const int Success = 0;

    /// <summary>The work failed: unreachable cluster, missing topic, failed deliveries, a failed processing step.</summary>
    public const int Failure = 1;

    /// <summary>Bad usage: unknown command or option, invalid value, invalid -X property.</summary>
    public const int Usage = 2;

    /// <summary>Stopped at once by a second Ctrl-C (running work was abandoned: it is consumed again later, never lost), or a Ctrl-C came before the command started.</summary>
    public const int Interrupted = 130;

    /// <summary>As <see cref="Interrupted"/>, for SIGTERM: a second one stopped at once, or one came before the command started.</summary>
    public const int Terminated = 143;
}
