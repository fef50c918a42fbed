using System.Globalization;
using System.Text;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.Fleet;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>
/// Every group on the status topics: its instances (live or gone), every partition with its owner,
/// offsets and why it is paused, the operator pauses (who, when); with actions on, buttons that send
/// commands to the control topic; and the commands sent from this dashboard with their answers.
/// </summary>
internal static class FleetPage
{
    public static string Render(PageContext page, IReadOnlyList<FleetGroup> groups, IReadOnlyList<SentCommand> commands, string? notice = null)
    {
        var body = new StringBuilder();
        if (notice is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"""<p class="notice" data-testid="notice">{E(notice)}</p>""");
        }

        if (groups.Count == 0)
        {
            body.Append("""<p class="empty" data-testid="no-fleet">No processor here has <code>Fleet.StatusTopic</code> set: the fleet page shows the instances that report on it (see docs/operations.md).</p>""");
        }

        foreach (var group in groups)
        {
            body.Append(Group(page, group));
        }

        body.Append(Log(commands, groups));
        return Layout.Render(page, "/fleet", "Fleet", body.ToString());
    }

    private static string Group(PageContext page, FleetGroup group)
    {
        var actions = page.ActionsEnabled && group.Controllable;
        var live = group.Instances.Where(i => i.Live).Select(i => i.Status).ToList();
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <section class="card" data-testid="fleet-{E(group.Group)}">
            <header><h2>{E(group.Group)}</h2><span class="meta">{live.Count} live instance(s){(group.Controllable ? "" : " · no control topic here: read-only")}</span></header>
            """);
        if (group.Problem is { } problem)
        {
            html.Append(CultureInfo.InvariantCulture, $"""<p class="alert warn" data-testid="alert">{E(problem)}</p>""");
        }

        html.Append("""<table class="grid" data-testid="instances"><thead><tr><th>Instance</th><th>Host</th><th>State</th><th class="num">Concurrency</th><th class="num">In flight</th><th class="num">Rate/s</th><th class="num">Handled</th><th>Reported</th>""");
        html.Append(actions ? "<th></th></tr></thead><tbody>" : "</tr></thead><tbody>");
        foreach (var (status, isLive) in group.Instances)
        {
            var state = isLive ? status.State : $"gone ({status.State})";
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr class="{(isLive ? "ok" : "gone")}" data-testid="instance" data-instance="{E(status.Instance)}"><td>{E(status.Instance)}</td><td>{E(status.Host)}</td><td data-testid="state">{E(state)}</td><td class="num">{status.Concurrency}</td><td class="num">{status.InFlight}</td><td class="num">{status.Rate:0.#}</td><td class="num">{N(status.Handled)}</td><td class="when">{status.At:yyyy-MM-dd HH:mm:ss}Z</td>
                """);
            if (actions)
            {
                html.Append("<td>");
                if (isLive)
                {
                    html.Append(Button(page, group.Group, "Stop", $"stop-{status.Instance}", ("instance", status.Instance)));
                }

                html.Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table>");
        if (actions)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <form method="post" action="{E(page.Root)}/fleet/commands" class="inline" data-testid="concurrency-form">{page.AntiforgeryField}<input type="hidden" name="group" value="{E(group.Group)}"><input type="hidden" name="kind" value="Concurrency"><label>Max concurrency <input name="limit" type="number" min="1" required></label> <button type="submit" data-testid="set-concurrency">Set for the group</button></form>
                """);
        }

        html.Append(Partitions(page, group.Group, live, actions));
        var pauses = live.SelectMany(s => s.Pauses).DistinctBy(p => (p.CommandId, p.Scope)).ToList();
        if (pauses.Count > 0)
        {
            html.Append("""<h3>Paused by an operator</h3><ul data-testid="pauses">""");
            foreach (var pause in pauses)
            {
                html.Append(CultureInfo.InvariantCulture, $"""<li data-testid="pause">{E(pause.Scope)}: paused by {E(pause.By)} at {pause.At:yyyy-MM-dd HH:mm:ss}Z</li>""");
            }

            html.Append("</ul>");
        }

        html.Append("</section>");
        return html.ToString();
    }

    private static string Partitions(PageContext page, string group, List<InstanceStatus> live, bool actions)
    {
        var html = new StringBuilder();
        html.Append("""<table class="grid" data-testid="fleet-partitions"><thead><tr><th>Topic</th><th>Partition</th><th>Owner</th><th class="num">Committed</th><th class="num">Handled</th><th class="num">End</th><th class="num">In flight</th><th>Paused</th>""");
        html.Append(actions ? "<th></th></tr></thead><tbody>" : "</tr></thead><tbody>");
        var owned = live
            .SelectMany(s => s.Partitions.Select(p => (Owner: s.Instance, Partition: p)))
            .OrderBy(o => o.Partition.Topic, StringComparer.Ordinal).ThenBy(o => o.Partition.Partition);
        foreach (var (owner, p) in owned)
        {
            var operatorPaused = live.SelectMany(s => s.Pauses).Any(x => x.Covers(p.Topic, p.Partition));
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr class="{(p.Paused is null ? "" : "warn")}" data-testid="fleet-partition-{E(p.Topic)}-{p.Partition}"><td>{E(p.Topic)}</td><td>{p.Partition}</td><td data-testid="owner">{E(owner)}</td><td class="num">{N(p.Committed)}</td><td class="num" data-testid="handled">{N(p.Handled)}</td><td class="num">{N(p.End)}</td><td class="num">{p.InFlight}</td><td data-testid="paused">{E(p.Paused ?? "")}</td>
                """);
            if (actions)
            {
                var partition = p.Partition.ToString(CultureInfo.InvariantCulture);
                html.Append("<td>");
                html.Append(operatorPaused
                    ? Button(page, group, "Resume", $"resume-{p.Topic}-{partition}", ("topic", p.Topic), ("partition", partition))
                    : Button(page, group, "Pause", $"pause-{p.Topic}-{partition}", ("topic", p.Topic), ("partition", partition)));
                html.Append(CultureInfo.InvariantCulture, $"""
                    <form method="post" action="{E(page.Root)}/fleet/commands" class="inline">{page.AntiforgeryField}<input type="hidden" name="group" value="{E(group)}"><input type="hidden" name="kind" value="Rewind"><input type="hidden" name="topic" value="{E(p.Topic)}"><input type="hidden" name="partition" value="{partition}"><input name="offset" type="number" min="0" required aria-label="offset" data-testid="rewind-offset-{E(p.Topic)}-{partition}"><button type="submit" data-testid="rewind-{E(p.Topic)}-{partition}">Rewind</button></form>
                    """);
                html.Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table>");
        return html.ToString();
    }

    /// <summary>A one-button form that posts a command of <paramref name="kind"/> with the given fields.</summary>
    private static string Button(PageContext page, string group, string kind, string testId, params (string Name, string Value)[] fields)
    {
        var hidden = string.Concat(fields.Select(f => $"""<input type="hidden" name="{E(f.Name)}" value="{E(f.Value)}">"""));
        return $"""<form method="post" action="{E(page.Root)}/fleet/commands" class="inline">{page.AntiforgeryField}<input type="hidden" name="group" value="{E(group)}"><input type="hidden" name="kind" value="{E(kind)}">{hidden}<button type="submit" data-testid="{E(testId)}">{E(kind)}</button></form>""";
    }

    private static string Log(IReadOnlyList<SentCommand> commands, IReadOnlyList<FleetGroup> groups)
    {
        var html = new StringBuilder("""<section class="card" data-testid="commands"><header><h2>Commands sent from this dashboard</h2></header>""");
        if (commands.Count == 0)
        {
            html.Append("""<p class="empty">None yet.</p></section>""");
            return html.ToString();
        }

        html.Append("""<table class="grid"><thead><tr><th>When</th><th>Who</th><th>Group</th><th>What</th><th>Result</th></tr></thead><tbody>""");
        foreach (var command in commands)
        {
            var answers = command.Id is { } id
                ? groups.Where(g => g.Group == command.Group).SelectMany(g => g.Instances)
                    .SelectMany(i => i.Status.Commands.Where(c => c.Id == id).Select(c => $"{i.Status.Instance}: {c.Result}"))
                    .ToList()
                : [];
            var result = answers.Count > 0 ? $"{command.Result}; {string.Join("; ", answers)}" : command.Result;
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr data-testid="command"><td class="when">{command.At:yyyy-MM-dd HH:mm:ss}Z</td><td>{E(command.By)}</td><td>{E(command.Group)}</td><td data-testid="what">{E(command.What)}</td><td data-testid="result">{E(result)}</td></tr>
                """);
        }

        html.Append("</tbody></table></section>");
        return html.ToString();
    }
}
