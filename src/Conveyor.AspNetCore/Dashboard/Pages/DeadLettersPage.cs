using System.Globalization;
using System.Text;
using Conveyor.DeadLetters;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>The dead letters of one topic with <c>conveyor dlq list</c>'s filters, and replay of a selection.</summary>
internal static class DeadLettersPage
{
    /// <param name="page">The page's context.</param>
    /// <param name="topics">The dead-letter topics to choose from.</param>
    /// <param name="query">The topic and filters as given.</param>
    /// <param name="letters">The dead letters shown; null when no topic is chosen or it could not be read.</param>
    /// <param name="notice">A line to show at the top (a replay's outcome, a bad filter, a read error).</param>
    public static string Render(PageContext page, IReadOnlyList<string> topics, DeadLetterQuery query, IReadOnlyList<DeadLetter>? letters, string? notice)
    {
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"""<form class="filters" method="get" action="{E(page.Root)}/dead-letters"><label>Topic <select name="topic">""");
        foreach (var topic in topics)
        {
            body.Append(CultureInfo.InvariantCulture, $"""<option{(topic == query.Topic ? " selected" : "")}>{E(topic)}</option>""");
        }

        body.Append(CultureInfo.InvariantCulture, $"""
            </select></label>
            <label>Group <input name="group" value="{E(query.Group)}"></label>
            <label>Source topic <input name="source-topic" value="{E(query.SourceTopic)}"></label>
            <label>Exception <input name="exception" value="{E(query.Exception)}" placeholder="e.g. Timeout"></label>
            <label>Key <input name="key" value="{E(query.Key)}"></label>
            <label>Since <input name="since" value="{E(query.Since)}" placeholder="30m, 2h, 2026-12-01T02:00:00Z"></label>
            <label>Limit <input name="limit" type="number" min="1" value="{E(query.Limit?.ToString(CultureInfo.InvariantCulture))}"></label>
            <button type="submit">Show</button></form>
            """);
        if (notice is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"""<p class="notice" data-testid="notice">{E(notice)}</p>""");
        }

        if (letters is not null && query.Topic is { } shown)
        {
            body.Append(List(page, shown, letters));
        }

        return Layout.Render(page, "/dead-letters", "Dead letters", body.ToString());
    }

    private static string List(PageContext page, string topic, IReadOnlyList<DeadLetter> letters)
    {
        var list = new StringBuilder();
        if (letters.Count == 0)
        {
            return $"""<p class="empty" data-testid="no-dead-letters">{E(topic)} holds no dead letters that match.</p>""";
        }

        if (page.ActionsEnabled)
        {
            list.Append(CultureInfo.InvariantCulture, $"""<form method="post" action="{E(page.Root)}/dead-letters/replay" data-testid="replay-form">{page.AntiforgeryField}<input type="hidden" name="topic" value="{E(topic)}">""");
        }

        list.Append(CultureInfo.InvariantCulture, $"""<table class="grid" data-testid="dead-letters"><thead><tr>{(page.ActionsEnabled ? "<th></th>" : "")}<th>Position</th><th>Source</th><th>Group</th><th>Key</th><th>Failed at</th><th>Attempts</th><th>Exception</th></tr></thead><tbody>""");
        foreach (var letter in letters)
        {
            var position = string.Create(CultureInfo.InvariantCulture, $"{letter.Partition}:{letter.Offset}");
            var source = letter.SourcePartition is { } p && letter.SourceOffset is { } o
                ? string.Create(CultureInfo.InvariantCulture, $"{letter.SourceTopic}[{p}]@{o}")
                : letter.SourceTopic;
            var check = page.ActionsEnabled ? $"""<td><input type="checkbox" name="position" value="{position}" aria-label="select {position}"></td>""" : "";
            list.Append(CultureInfo.InvariantCulture, $"""
                <tr data-testid="dead-letter" data-key="{E(letter.Key)}">{check}<td><a href="{E(page.Root)}/dead-letters/{Q(topic)}/{letter.Partition}/{letter.Offset}">{position}</a></td><td>{E(source)}</td><td data-testid="group">{E(letter.ConsumerGroup ?? "?")}</td><td class="key">{E(letter.Key ?? "(none)")}</td><td class="when">{E(letter.FailedAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))}</td><td class="num">{letter.Attempts}</td><td title="{E(letter.ExceptionMessage)}" data-testid="exception">{E(letter.ExceptionType)}: {E(Shorten(letter.ExceptionMessage))}</td></tr>
                """);
        }

        list.Append(CultureInfo.InvariantCulture, $"""</tbody></table><p class="meta">{N(letters.Count)} dead letter(s), the newest {Model.DeadLetterBrowser.MaxPerPartition} per partition at most.</p>""");
        if (page.ActionsEnabled)
        {
            list.Append("<p><button type=\"submit\" data-testid=\"replay-selected\">Replay selected</button> sends them to their source topics (the position of <code>conveyor dlq replay</code> is not moved).</p></form>");
        }

        return list.ToString();
    }

    /// <summary>At most about 120 characters, cut at a word's end (the whole message is the cell's title).</summary>
    internal static string Shorten(string? text)
    {
        const int Max = 120;
        if (text is not { Length: > Max })
        {
            return text ?? "";
        }

        var cut = text.LastIndexOf(' ', Max - 1);
        return string.Concat(text.AsSpan(0, cut > Max / 2 ? cut : Max - 1).TrimEnd(), "…");
    }
}

/// <summary>The dead letters page's query string.</summary>
internal sealed record DeadLetterQuery(string? Topic, string? SourceTopic, string? Exception, string? Key, string? Since, int? Limit, string? Group = null);

