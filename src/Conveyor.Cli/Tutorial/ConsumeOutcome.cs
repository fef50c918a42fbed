namespace Conveyor.Cli.Tutorial;

/// <summary>Why the tutorial consumer stopped.</summary>
internal enum ConsumeOutcome
{
    /// <summary>Stopped on request, or after the requested number of messages.</summary>
    Stopped,

    /// <summary>Processing a message failed; it was not committed (manual mode).</summary>
    ProcessingFailed,

    /// <summary>The client hit a fatal error.</summary>
    Fatal,
}
