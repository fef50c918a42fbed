namespace Conveyor.Cli.Commands;

/// <summary>The demo's last line.</summary>
/// <param name="Produced">Messages the broker acknowledged.</param>
/// <param name="Processed">Messages handled successfully.</param>
/// <param name="Retried">Retries of failed handler calls.</param>
/// <param name="DeadLettered">Messages written to the dead-letter topic.</param>
/// <param name="Committed">Produced messages whose offsets are committed.</param>
/// <param name="IsComplete">Everything produced was committed.</param>
internal sealed record DemoSummary(int Produced, int Processed, int Retried, int DeadLettered, int Committed, bool IsComplete)
{
    /// <summary>Partitions stopped at a message that failed for good (<c>--on-failure StopPartition</c>).</summary>
    public int StoppedPartitions { get; init; }

    public override string ToString() =>
        $"demo {(IsComplete ? "finished" : "stopped")}: produced {Produced}, processed {Processed}, retried {Retried}, dead-lettered {DeadLettered}, committed {Committed}"
        + (StoppedPartitions > 0 ? $", partitions stopped {StoppedPartitions}" : string.Empty);
}
