using System.Reflection;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Fleet;

/// <summary>Builds an instance's status record from its processor's status snapshot (the status store's) and the group's operator state.</summary>
internal static class StatusRecords
{
    /// <summary>The package's version, as the status records report it.</summary>
    public static string Version { get; } =
        typeof(StatusRecords).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static InstanceStatus Build(
        ProcessorOptions options, string instance, ProcessorStatus status, OperatorState operators, int concurrency, IReadOnlyList<CommandResult> commands, DateTimeOffset now)
    {
        var activity = status.Activity;
        var backPressure = activity.Paused.ToHashSet();
        var partitions = status.AssignedPartitions
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value)
            .Select(p =>
            {
                long? committed = status.Committed.TryGetValue(p, out var c) ? c : null;
                // The high watermark of the consumer's last fetch; committed plus lag where a statistics report lacks it.
                long? end = status.EndOffsets.TryGetValue(p, out var high) ? high
                    : committed is { } at && status.Lag.TryGetValue(p, out var lag) ? at + lag : null;
                return new PartitionStatus(
                    p.Topic,
                    p.Partition.Value,
                    committed,
                    status.CommittableOffsets.TryGetValue(p, out var handled) ? handled : null,
                    end,
                    activity.InFlight.GetValueOrDefault(p),
                    status.BufferedMessages.GetValueOrDefault(p),
                    PausedBecause(p, operators, backPressure, activity));
            })
            .ToList();
        return new InstanceStatus(options.GroupId, instance, Environment.MachineName, Version, status.State.ToString(), now)
        {
            Topics = options.Topics,
            Partitions = partitions,
            Rate = activity.Rates.Count > 0 ? activity.Rates[^1] : 0,
            Handled = activity.Handled,
            InFlight = activity.TotalInFlight,
            Concurrency = concurrency,
            Pauses = operators.Pauses,
            Commands = commands,
            Failure = status.Failure,
        };
    }

    private static string? PausedBecause(TopicPartition partition, OperatorState operators, HashSet<TopicPartition> backPressure, Diagnostics.ActivitySnapshot activity) =>
        operators.PauseOf(partition.Topic, partition.Partition.Value) is { } pause ? $"operator: paused by {pause.By} at {pause.At:yyyy-MM-dd HH:mm:ss}Z ({pause.Scope})"
        : activity.Stopped.TryGetValue(partition, out var stopped) ? $"stopped at offset {stopped.Offset}: {stopped.Reason}"
        : backPressure.Contains(partition) ? "back-pressure"
        : null;
}
