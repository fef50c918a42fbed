namespace Conveyor.Fleet;

/// <summary>A pause an operator put on a scope (a partition, a topic, or the group when <see cref="Topic"/> is null): who, when, and by which command.</summary>
internal sealed record OperatorPause(string? Topic, int? Partition, string By, DateTimeOffset At, string CommandId)
{
    public bool Covers(string topic, int partition) =>
        Topic is null || (Topic == topic && (Partition is null || Partition == partition));

    /// <summary>Whether this pause lies inside a resume's scope (a resume of a topic lifts its partitions' pauses too).</summary>
    public bool Within(ControlCommand resume) =>
        resume.Topic is null || (resume.Topic == Topic && (resume.Partitions is not { Count: > 0 } || (Partition is { } p && resume.Partitions.Contains(p))));

    public string Scope => Topic is null ? "the group" : Partition is { } p ? $"{Topic}[{p}]" : Topic;
}
