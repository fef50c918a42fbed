using System.Globalization;
using System.Text;
using Conveyor.DeadLetters;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>One dead letter: every header, the value (JSON indented, hex otherwise), the stack trace, and replay of it.</summary>
internal static class DeadLetterPage
{
    public static string Render(PageContext page, string topic, DeadLetter letter)
    {
        var position = string.Create(CultureInfo.InvariantCulture, $"{letter.Partition}:{letter.Offset}");
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"""
            <p><a href="{E(page.Root)}/dead-letters?topic={Q(topic)}">← {E(topic)}</a></p>
            <section class="card"><header><h2>{E(topic)} {position}</h2><span class="meta">key <b>{E(letter.Key ?? "(none)")}</b></span></header>
            <p class="alert bad" data-testid="exception">{E(letter.ExceptionType)}: {E(letter.ExceptionMessage)}</p>
            <h3>Headers</h3><table class="grid settings"><tbody>
            """);
        foreach (var header in letter.Record.Message.Headers ?? [])
        {
            var value = header.Key == DeadLetterHeaders.ExceptionStackTrace ? "(below)" : Bytes.ToText(header.GetValueBytes());
            body.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(header.Key)}</th><td><code>{E(value)}</code></td></tr>");
        }

        body.Append(CultureInfo.InvariantCulture, $"""
            </tbody></table>
            <h3>Value</h3><pre data-testid="value">{E(string.Join('\n', Bytes.ValueLines(letter.Record.Message.Value)))}</pre>
            <h3>Stack trace</h3><pre data-testid="stack-trace">{E(letter.StackTrace ?? "(none)")}</pre>
            """);
        if (page.ActionsEnabled)
        {
            body.Append(CultureInfo.InvariantCulture, $"""
                <form method="post" action="{E(page.Root)}/dead-letters/replay">{page.AntiforgeryField}<input type="hidden" name="topic" value="{E(topic)}"><input type="hidden" name="position" value="{position}"><button type="submit" data-testid="replay-one">Replay to {E(letter.SourceTopic)}</button></form>
                """);
        }

        body.Append("</section>");
        return Layout.Render(page, "/dead-letters", "Dead letter", body.ToString(), refresh: false);
    }
}
