using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Conveyor.AspNetCore.Dashboard.Model;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>
/// Per partition of each processor: assigned or not, committed offset, end offset, lag, messages
/// buffered (fetched, unfinished), handler calls in flight, and paused (back-pressure), stalled or
/// stopped (failure) with the failed message's position.
/// </summary>
internal static class PartitionsPage
{
    public static string Render(PageContext page, IReadOnlyList<(ProcessorView Processor, LagReading Lag)> processors)
    {
        var body = new StringBuilder();
        foreach (var (processor, lag) in processors)
        {
            body.Append(CultureInfo.InvariantCulture, $"""
                <section class="card" id="{E(processor.Name)}" data-testid="partitions-{E(processor.Name)}">
                <header><h2>{E(processor.Name)}</h2><span class="meta">group <b>{E(processor.GroupId)}</b></span></header>
                <table class="grid"><thead><tr><th>Topic</th><th>Partition</th><th>Assigned</th><th class="num">Committed</th><th class="num">End</th><th class="num">Lag</th><th class="num">Buffered</th><th class="num">In flight</th><th>State</th></tr></thead><tbody>
                """);
            foreach (var partition in lag.Partitions)
            {
                var tp = new TopicPartition(partition.Topic, partition.Partition);
                var (state, css) = State(processor, tp);
                var assigned = processor.Status is { } status ? (status.AssignedPartitions.Contains(tp) ? "yes" : "no") : "–";
                var inFlight = processor.Activity is { } activity ? N(activity.InFlight.GetValueOrDefault(tp)) : "–";
                var buffered = processor.Status?.BufferedMessages.TryGetValue(tp, out var count) == true ? N(count) : "–";
                body.Append(CultureInfo.InvariantCulture, $"""
                    <tr class="{css}" data-testid="partition-{E(partition.Topic)}-{partition.Partition}"><td>{E(partition.Topic)}</td><td>{partition.Partition}</td><td>{assigned}</td><td class="num">{N(partition.Committed)}</td><td class="num">{N(partition.End)}</td><td class="num" data-testid="lag">{N(partition.Lag)}</td><td class="num" data-testid="buffered">{buffered}</td><td class="num">{inFlight}</td><td data-testid="state">{E(state)}</td></tr>
                    """);
            }

            body.Append("</tbody></table>");
            if (lag.Problem is { } problem)
            {
                body.Append(CultureInfo.InvariantCulture, $"""<p class="alert warn">Offsets unknown: {E(problem)}</p>""");
            }

            body.Append("</section>");
        }

        return Layout.Render(page, "/partitions", "Partitions", body.ToString());
    }

    private static (string Text, string Css) State(ProcessorView processor, TopicPartition partition)
    {
        if (processor.Status?.StoppedPartitions.FirstOrDefault(p => p.TopicPartition == partition) is { } stopped)
        {
            var reason = processor.Activity?.Stopped.GetValueOrDefault(partition)?.Reason ?? processor.LastError?.Message ?? "see the log";
            return (string.Create(CultureInfo.InvariantCulture, $"stopped at offset {stopped.Offset.Value}: {processor.Redact(reason)}"), "bad");
        }

        if (processor.Status?.StalledPartitions.FirstOrDefault(p => p.TopicPartition == partition) is { } stalled)
        {
            return (string.Create(CultureInfo.InvariantCulture, $"stalled at offset {stalled.Offset.Value}"), "warn");
        }

        if (processor.Activity?.Paused.Contains(partition) == true)
        {
            return ("paused (back-pressure)", "warn");
        }

        return processor.Status is null ? ("", "") : processor.Status.AssignedPartitions.Contains(partition) ? ("running", "ok") : ("not assigned here", "");
    }
}
