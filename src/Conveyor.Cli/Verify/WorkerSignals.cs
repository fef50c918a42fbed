namespace Conveyor.Cli.Verify;

/// <summary>
/// What a worker tells the verifier on its standard output (its standard error is the verifier's
/// to print). One line so far: the worker's group gave it partitions, so its start is over.
/// </summary>
internal static class WorkerSignals
{
    public const string Assigned = "verify-worker: assigned";
}
