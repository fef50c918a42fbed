using System.Globalization;
using System.Text;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>
/// Each processor's state, message rate with a chart of the last minutes, handled, in-flight,
/// retries, dead letters and total lag; a stopped partition or processor stands out with its reason.
/// </summary>
internal static class OverviewPage
{
    public static string Render(PageContext page, IReadOnlyList<(ProcessorView Processor, LagReading Lag)> processors)
    {
        var body = new StringBuilder();
        if (processors.Count == 0)
        {
            body.Append("<p class=\"empty\">No processors. Add one with AddConveyorProcessor, or give conveyor dashboard --group.</p>");
        }

        foreach (var (processor, lag) in processors)
        {
            body.Append(Card(page, processor, lag));
        }

        return Layout.Render(page, "", "Overview", body.ToString());
    }

    private static string Card(PageContext page, ProcessorView processor, LagReading lag)
    {
        var state = processor.Status?.State;
        var alerts = Alerts(processor, lag).ToList();
        var css = state switch
        {
            ProcessorState.Failed or ProcessorState.Stopped => "bad",
            _ when alerts.Any(a => a.Bad) => "bad",
            _ when alerts.Count > 0 => "warn",
            _ => "ok",
        };
        var card = new StringBuilder();
        card.Append(CultureInfo.InvariantCulture, $"""
            <section class="card {css}" data-testid="processor-{E(processor.Name)}">
            <header><h2>{E(processor.Name)}</h2><span class="badge {css}" data-testid="state">{E(state?.ToString() ?? (processor.Topics.Count == 0 ? "No topics" : "Seen from Kafka"))}</span>
            <span class="meta">group <b>{E(processor.GroupId)}</b> · topics {E(processor.Topics.Count == 0 ? "none found" : string.Join(", ", processor.Topics))}</span></header>
            """);
        foreach (var alert in alerts)
        {
            card.Append(CultureInfo.InvariantCulture, $"""<p class="alert {(alert.Bad ? "bad" : "warn")}" data-testid="alert">{E(alert.Text)}</p>""");
        }

        card.Append("<dl class=\"stats\">");
        if (processor.Activity is { } activity)
        {
            var rate = activity.Rates.Count > 0 ? activity.Rates[^1] : 0;
            card.Append(Stat("Rate", string.Create(CultureInfo.InvariantCulture, $"{rate:0.#} msg/s"), "rate"))
                .Append(Stat("Succeeded", N(activity.Handled), "succeeded"))
                .Append(Stat("Dead-lettered", N(activity.DeadLettered), "dead-lettered", activity.DeadLettered > 0 ? "warn" : null))
                .Append(Stat("In flight", N(activity.TotalInFlight), "in-flight"))
                .Append(Stat("Retries", N(activity.Retries), "retries"));
        }

        if (processor.Status is { ConcurrencyLimit: > 0 } limited)
        {
            card.Append(Stat("Concurrency limit", N(limited.ConcurrencyLimit), "concurrency-limit"));
        }

        // Committed lag counts what is finished but not yet committed (up to a commit interval's
        // worth); "not yet handled" counts from what the engine would commit now.
        var lagKnown = lag.Problem is null && processor.Topics.Count > 0;
        card.Append(Stat("Committed lag", lagKnown ? N(lag.Total) : "?", "lag", lagKnown && lag.Total > 0 ? "lagging" : null));
        if (processor.Status is { } status && lagKnown)
        {
            var waiting = NotYetHandled(lag, status);
            card.Append(Stat("Not yet handled", N(waiting), "not-handled", waiting > 0 ? "lagging" : null));
        }

        card.Append("</dl>");
        if (processor.Activity is { } history)
        {
            card.Append(RateChart(history.Rates, ActivitySnapshot.BucketSeconds));
        }

        card.Append(CultureInfo.InvariantCulture, $"""<p class="links"><a href="{E(page.Root)}/partitions#{E(processor.Name)}">Partitions</a> · <a href="{E(page.Root)}/dead-letters?topic={Q(processor.DeadLetterTopics.FirstOrDefault())}">Dead letters</a></p></section>""");
        return card.ToString();
    }

    /// <summary>End offsets minus what the processor would commit now, where it knows; else minus the committed offset.</summary>
    internal static long NotYetHandled(LagReading lag, ProcessorStatus status) => lag.Partitions.Sum(p =>
        status.CommittableOffsets.TryGetValue(new Confluent.Kafka.TopicPartition(p.Topic, p.Partition), out var committable)
            ? Math.Max(0, p.End - Math.Max(committable, p.Earliest))
            : p.Lag);

    /// <summary>What a person must notice: failure, stopped and stalled partitions, an unreachable cluster, the last error.</summary>
    internal static IEnumerable<(bool Bad, string Text)> Alerts(ProcessorView processor, LagReading lag)
    {
        if (processor.Status is { } status)
        {
            if (status.State == ProcessorState.Failed)
            {
                yield return (true, $"Processor failed: {status.Failure}");
            }

            foreach (var stopped in status.StoppedPartitions)
            {
                var reason = processor.Activity?.Stopped.GetValueOrDefault(stopped.TopicPartition)?.Reason ?? processor.LastError?.Message ?? "see the log";
                yield return (true, string.Create(CultureInfo.InvariantCulture,
                    $"Partition {stopped.Topic}[{stopped.Partition.Value}] stopped at offset {stopped.Offset.Value}: {processor.Redact(reason)}"));
            }

            foreach (var stalled in status.StalledPartitions)
            {
                yield return (false, string.Create(CultureInfo.InvariantCulture,
                    $"Partition {stalled.Topic}[{stalled.Partition.Value}] stalled at offset {stalled.Offset.Value}: messages wait but none was delivered"));
            }

            if (status.Unavailable is { } problem)
            {
                yield return (true, $"Cannot start: {processor.Redact(problem)}");
            }
        }

        if (processor.Status is null && processor.Topics.Count == 0)
        {
            yield return (false, $"No topics: group {processor.GroupId} has no committed offsets on this cluster, so there is no lag to show; check the group, or name its topics (conveyor dashboard --topic)");
        }

        if (lag.Problem is { } lagProblem)
        {
            yield return (false, $"Lag unknown: the cluster did not answer ({lagProblem})");
        }
    }
}
