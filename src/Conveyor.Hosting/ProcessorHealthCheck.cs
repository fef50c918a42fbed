using Conveyor.Diagnostics;
using Conveyor.Processing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Conveyor.Hosting;

/// <summary>
/// A hosted processor's health: unhealthy when it stopped or failed, when a partition is stopped by
/// the failure action, or when its poll loop has not gone round for <c>MaxPollAge</c>;
/// degraded while it starts and while a partition is stalled (messages to read, none delivered).
/// </summary>
internal sealed class ProcessorHealthCheck(Func<ProcessorStatus> status, TimeSpan maxPollAge, TimeProvider time) : IHealthCheck
{
    internal const string AssignedKey = "assigned";
    internal const string StoppedKey = "stopped";
    internal const string StalledKey = "stalled";
    internal const string LastErrorKey = "last_error";
    internal const string LastErrorAtKey = "last_error_at";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = status(); // one snapshot: the stopped partitions and the error that stopped them agree
        return Task.FromResult(Evaluate(snapshot, time.GetUtcNow(), maxPollAge, snapshot.LastError));
    }

    internal static HealthCheckResult Evaluate(ProcessorStatus status, DateTimeOffset now, TimeSpan maxPollAge, LastError? lastError = null)
    {
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["assigned_partitions"] = status.AssignedPartitions.Count,
            ["stopped_partitions"] = status.StoppedPartitions.Count,
            ["stalled_partitions"] = status.StalledPartitions.Count,
            [AssignedKey] = status.AssignedPartitions.Select(p => $"{p.Topic}[{p.Partition.Value}]").ToArray(),
            [StoppedKey] = status.StoppedPartitions.Select(p => $"{p.Topic}[{p.Partition.Value}]@{p.Offset.Value}").ToArray(),
            [StalledKey] = status.StalledPartitions.Select(p => $"{p.Topic}[{p.Partition.Value}]@{p.Offset.Value}").ToArray(),
        };
        if (status.LastPoll is { } lastPoll)
        {
            data["last_poll"] = lastPoll;
        }

        if (lastError is not null)
        {
            data[LastErrorKey] = lastError.Message;
            data[LastErrorAtKey] = lastError.At;
        }

        switch (status.State)
        {
            case ProcessorState.NotStarted:
                return HealthCheckResult.Degraded("The processor has not started yet.", data: data);
            case ProcessorState.Stopped:
                return HealthCheckResult.Unhealthy("The processor has stopped.", data: data);
            case ProcessorState.Failed:
                return HealthCheckResult.Unhealthy($"The processor failed: {status.Failure}", data: data);
        }

        if (status.StoppedPartitions.Count > 0)
        {
            var at = string.Join(", ", status.StoppedPartitions.Select(p => $"{p.Topic}[{p.Partition.Value}]@{p.Offset.Value}"));
            return HealthCheckResult.Unhealthy($"Partitions stopped at messages that failed for good: {at}.", data: data);
        }

        if (status.LastPoll is null)
        {
            return HealthCheckResult.Degraded("The processor is starting: it has not polled yet.", data: data);
        }

        var age = now - status.LastPoll.Value;
        if (age > maxPollAge)
        {
            return HealthCheckResult.Unhealthy($"The processor has not polled for {age.TotalSeconds:F0} s (limit {maxPollAge.TotalSeconds:F0} s).", data: data);
        }

        if (status.Unavailable is { } problem)
        {
            return HealthCheckResult.Unhealthy($"The processor cannot start: {problem}.", data: data);
        }

        if (status.StalledPartitions.Count > 0)
        {
            var at = string.Join(", ", status.StalledPartitions.Select(p => $"{p.Topic}[{p.Partition.Value}]@{p.Offset.Value}"));
            return HealthCheckResult.Degraded($"Partitions stalled: messages wait to be read but none was delivered although the engine does not hold them: {at}.", data: data);
        }

        return HealthCheckResult.Healthy("Processing.", data);
    }
}
