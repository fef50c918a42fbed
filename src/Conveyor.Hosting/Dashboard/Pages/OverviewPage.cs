using System.Globalization;
using System.Text;
using Conveyor.Hosting.Dashboard.Model;
using Conveyor.Processing;
using static Conveyor.Hosting.Dashboard.Pages.Html;

namespace Conveyor.Hosting.Dashboard.Pages;

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
            <header><h2>{E(processor.Name)}</h2><span class="badge {css}" data-testid="state">{E(state?.ToString() ?? "Seen from Kafka")}</span>
            <span class="meta">group <b>{E(processor.GroupId)}</b> · topics {E(string.Join(", ", processor.Topics))}</span></header>
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
                .Append(Stat("Handled", N(activity.Handled), "handled"))
                .Append(Stat("In flight", N(activity.TotalInFlight), "in-flight"))
                .Append(Stat("Retries", N(activity.Retries), "retries"))
                .Append(Stat("Dead letters", N(activity.DeadLettered), "dead-lettered", activity.DeadLettered > 0 ? "warn" : null));
        }

        card.Append(Stat("Lag", lag.Problem is null ? N(lag.Total) : "?", "lag", lag.Total > 0 ? "lagging" : null));
        card.Append("</dl>");
        if (processor.Activity is { } history)
        {
            card.Append("<figure class=\"chart\">").Append(Sparkline(history.Rates)).Append("<figcaption>messages/s, last 5 minutes</figcaption></figure>");
        }

        card.Append(CultureInfo.InvariantCulture, $"""<p class="links"><a href="{E(page.Root)}/partitions#{E(processor.Name)}">Partitions</a> · <a href="{E(page.Root)}/dead-letters?topic={Q(processor.DeadLetterTopics.FirstOrDefault())}">Dead letters</a></p></section>""");
        return card.ToString();
    }

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

        if (lag.Problem is { } lagProblem)
        {
            yield return (false, $"Lag unknown: the cluster did not answer ({lagProblem})");
        }
    }
}
