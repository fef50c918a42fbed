using System.Globalization;
using System.Text;
using System.Text.Json;
using Conveyor.DeadLetters;

namespace Conveyor.Cli.DeadLetters;

/// <summary>What the <c>dlq</c> commands print: a table row, a JSON line, or the whole record.</summary>
internal static class DeadLetterLines
{
    private static readonly string[] Columns = ["DLQ P:OFFSET", "SOURCE", "GROUP", "KEY", "KIND", "EXCEPTION", "ATTEMPTS", "FAILED AT"];

    /// <summary>The column cut to fit the width.</summary>
    private const int ExceptionColumn = 5;

    /// <summary>A table: a header row and one row per dead letter, the exception cut so a row fits <paramref name="width"/>.</summary>
    public static IEnumerable<string> Table(IReadOnlyList<DeadLetter> letters, int width)
    {
        var rows = letters.Select(l => new[]
        {
            Position(l),
            Source(l),
            l.ConsumerGroup ?? "?",
            l.Key ?? "(none)",
            l.FailureKind ?? "?",
            Exception(l),
            l.Attempts?.ToString(CultureInfo.InvariantCulture) ?? "?",
            l.FailedAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "?",
        }).ToList();
        var widths = Columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        const int Gap = 2;
        var others = widths.Where((_, i) => i != ExceptionColumn).Sum() + (Gap * (Columns.Length - 1));
        widths[ExceptionColumn] = Math.Max(Columns[ExceptionColumn].Length, Math.Min(widths[ExceptionColumn], width - others));
        yield return Row(Columns, widths, Gap);
        foreach (var row in rows)
        {
            row[ExceptionColumn] = Cut(row[ExceptionColumn], widths[ExceptionColumn]);
            yield return Row(row, widths, Gap);
        }
    }

    /// <summary>One JSON object on one line, for scripts.</summary>
    public static string Json(DeadLetter letter)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("topic", letter.Topic);
            json.WriteNumber("partition", letter.Partition);
            json.WriteNumber("offset", letter.Offset);
            json.WriteString("sourceTopic", letter.SourceTopic);
            WriteNumber(json, "sourcePartition", letter.SourcePartition);
            WriteNumber(json, "sourceOffset", letter.SourceOffset);
            json.WriteString("key", letter.Key);
            json.WriteString("consumerGroup", letter.ConsumerGroup);
            json.WriteString("failureKind", letter.FailureKind);
            json.WriteString("exceptionType", letter.ExceptionType);
            json.WriteString("exceptionMessage", letter.ExceptionMessage);
            WriteNumber(json, "attempts", letter.Attempts);
            if (letter.FailedAt is { } at)
            {
                json.WriteString("failedAt", at);
            }
            else
            {
                json.WriteNull("failedAt");
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The whole record: where it came from and why it failed, every header, the key, the value and the stack trace.</summary>
    public static IEnumerable<string> Show(DeadLetter letter)
    {
        yield return Invariant($"dead letter {letter.Topic} partition {letter.Partition} offset {letter.Offset}");
        yield return $"source:     {Source(letter)}";
        yield return $"group:      {letter.ConsumerGroup ?? "?"}";
        yield return $"failure:    {letter.FailureKind ?? "?"}, {letter.Attempts?.ToString(CultureInfo.InvariantCulture) ?? "?"} attempt(s), at {letter.FailedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "?"}";
        yield return $"exception:  {letter.ExceptionType ?? "?"}: {letter.ExceptionMessage}";
        yield return $"key:        {letter.Key ?? "(none)"}";
        yield return "headers:";
        foreach (var header in letter.Record.Message.Headers ?? [])
        {
            var value = header.Key == DeadLetterHeaders.ExceptionStackTrace ? "(the stack trace, below)" : Bytes.ToText(header.GetValueBytes() ?? []);
            yield return $"  {header.Key}: {value}";
        }

        yield return "value:";
        foreach (var line in Bytes.ValueLines(letter.Record.Message.Value))
        {
            yield return "  " + line;
        }

        yield return "stack trace:";
        foreach (var line in (letter.StackTrace ?? "(none)").Split('\n'))
        {
            yield return "  " + line.TrimEnd('\r');
        }
    }

    public static string Position(DeadLetter letter) => Invariant($"{letter.Partition}:{letter.Offset}");

    public static string Source(DeadLetter letter) =>
        Invariant($"{letter.SourceTopic}[{letter.SourcePartition?.ToString(CultureInfo.InvariantCulture) ?? "?"}]@{letter.SourceOffset?.ToString(CultureInfo.InvariantCulture) ?? "?"}");

    private static string Exception(DeadLetter letter)
    {
        var type = letter.ExceptionType ?? "?";
        var shortType = type[(type.LastIndexOf('.') + 1)..];
        return $"{shortType}: {letter.ExceptionMessage?.ReplaceLineEndings(" ")}";
    }

    private static string Cut(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, Math.Max(0, width - 3)), "...");

    private static string Row(string[] cells, int[] widths, int gap) =>
        string.Join(new string(' ', gap), cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();

    private static void WriteNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
