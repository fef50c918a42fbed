using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Conveyor.Diagnostics;

/// <summary>
/// Conveyor's instruments, all on the one <see cref="ConveyorDiagnostics.Meter"/>. The gauges read
/// every running processor's status snapshot when a listener collects them.
/// </summary>
internal static class ConveyorMetrics
{
    private static readonly ConcurrentDictionary<ProcessorStatusStore, string> Running = new(); // each running processor's store, with its group

    public static readonly Counter<long> Consumed = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "messaging.client.consumed.messages", "{message}", "Messages handed from the consumer to a handler.");

    public static readonly Histogram<double> ProcessDuration = ConveyorDiagnostics.Meter.CreateHistogram(
        "messaging.process.duration", "s", "Time from a message's first handler call until it is finished (handled, dead-lettered or stopped), retries included.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Histogram<double> HandlerDuration = ConveyorDiagnostics.Meter.CreateHistogram(
        "conveyor.handler.duration", "s", "Duration of one handler call (one attempt).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> Processed = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.messages.processed", "{message}", "Messages the handler finished successfully.");

    public static readonly Counter<long> Failed = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.messages.failed", "{message}", "Messages that failed for good (then dead-lettered, or stopping their partition or the processor).");

    public static readonly Counter<long> Retried = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.messages.retried", "{retry}", "Handler calls that failed and are retried.");

    public static readonly Counter<long> DeadLettered = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.messages.dead_lettered", "{message}", "Messages written to a dead-letter topic (and acknowledged).");

    public static readonly UpDownCounter<long> InFlight = ConveyorDiagnostics.Meter.CreateUpDownCounter<long>(
        "conveyor.messages.in_flight", "{message}", "Messages being handled now (retry delays included).");

    public static readonly Counter<long> Commits = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.commits", "{commit}", "Offset commits that succeeded.");

    public static readonly Counter<long> CommitFailures = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.commit.failures", "{commit}", "Offset commits that failed (they are retried).");

    public static readonly Histogram<double> CommitDuration = ConveyorDiagnostics.Meter.CreateHistogram(
        "conveyor.commit.duration", "s", "Duration of one synchronous offset commit.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    public static readonly Counter<long> Rebalances = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.rebalances", "{event}", "Rebalance events, by conveyor.rebalance.event (assigned, revoked, lost).");

    public static readonly Counter<long> SkippedFinished = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.messages.skipped_finished", "{message}", "Messages not handed to the handler because the commit metadata records them as finished (persisted completions).");

    public static readonly Counter<long> SkippedOtherGroup = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.messages.skipped_other_group", "{message}", "Messages finished without handling because their conveyor.target.group header names another consumer group (its retries and replays).");

    public static readonly Counter<long> Stalls = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.partition.stalls", "{stall}", "Times an assigned partition was found stalled: messages to read, none delivered for StallTimeout, not held by the engine.");

    public static readonly Counter<long> OverloadBackOffs = ConveyorDiagnostics.Meter.CreateCounter<long>(
        "conveyor.overload.backoffs", "{backoff}", "Times most recent handler attempts failed with retried errors and handlers were held for the overload back-off.");

    private static double[] DurationBuckets => [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    static ConveyorMetrics()
    {
        ConveyorDiagnostics.Meter.CreateObservableGauge(
            "conveyor.consumer.lag", () => Running.SelectMany(p => p.Key.Snapshot().Lag.Select(l => new Measurement<long>(l.Value, MetricTags.Message(p.Value, l.Key)))), "{message}",
            "Messages in a partition after the group's committed offset (from librdkafka's statistics, every statistics.interval.ms).");
        ConveyorDiagnostics.Meter.CreateObservableGauge(
            "conveyor.partitions.paused", () => Running.Select(p => new Measurement<long>(p.Key.Snapshot().Activity.Paused.Count, MetricTags.Group(p.Value))), "{partition}",
            "Assigned partitions paused now: by back-pressure, or stopped by the failure action.");
        ConveyorDiagnostics.Meter.CreateObservableGauge(
            "conveyor.partitions.stopped", () => Running.Select(p => new Measurement<long>(p.Key.Snapshot().StoppedPartitions.Count, MetricTags.Group(p.Value))), "{partition}",
            "Assigned partitions stopped at a message that failed for good.");
        ConveyorDiagnostics.Meter.CreateObservableGauge(
            "conveyor.partitions.stalled", () => Running.Select(p => new Measurement<long>(p.Key.Snapshot().StalledPartitions.Count, MetricTags.Group(p.Value))), "{partition}",
            "Assigned partitions stalled now: messages to read, none delivered for StallTimeout, not held by the engine.");
        ConveyorDiagnostics.Meter.CreateObservableGauge(
            "conveyor.concurrency.limit", () => Running.Select(p => new Measurement<long>(p.Key.Snapshot().ConcurrencyLimit, MetricTags.Group(p.Value))), "{handler}",
            "How many handlers may run at once now: MaxConcurrency, or what an operator or the adaptive limit set.");
    }

    public static void Started(ProcessorStatusStore processor, string group) => Running.TryAdd(processor, group);

    public static void Stopped(ProcessorStatusStore processor) => Running.TryRemove(processor, out _);
}
