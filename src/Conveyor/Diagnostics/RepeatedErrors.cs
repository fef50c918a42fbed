using System.Globalization;
using System.Text.RegularExpressions;

namespace Conveyor.Diagnostics;

/// <summary>
/// The one rule for client errors that repeat (a broker gone makes librdkafka report a refused
/// connection many times a second), for the library's logs and the CLI alike: a line is written
/// the first time; while it repeats, once per <see cref="Window"/> with a count
/// (<c>... (repeated 212 times in the last 30 s)</c>); and one line when the client works again.
/// Lines that differ only in numbers (ports, milliseconds, counts) are the same line.
/// </summary>
internal sealed partial class RepeatedErrors(TimeProvider time)
{
    /// <summary>How long a repeating line stays quiet before its count is written.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _lines = new(StringComparer.Ordinal);
    private DateTimeOffset? _troubleSince;
    private int _total;

    /// <summary>What to write for this occurrence of <paramref name="line"/>: the line, the line with its count, or null to stay quiet.</summary>
    public string? Note(string line)
    {
        var key = Key(line);
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _troubleSince ??= now;
            _total++;
            if (!_lines.TryGetValue(key, out var entry))
            {
                _lines[key] = new Entry { Since = now };
                return line;
            }

            entry.Repeats++;
            var quiet = now - entry.Since;
            if (quiet < Window)
            {
                return null;
            }

            var counted = string.Create(CultureInfo.InvariantCulture, $"{line} (repeated {entry.Repeats} time{(entry.Repeats == 1 ? string.Empty : "s")} in the last {quiet.TotalSeconds:0} s)");
            entry.Since = now;
            entry.Repeats = 0;
            return counted;
        }
    }

    /// <summary>
    /// The client works again (partitions assigned, offsets committed): one line saying so, with how
    /// many errors there were since when; null when there were none since the last time.
    /// </summary>
    public string? Recovered()
    {
        lock (_gate)
        {
            if (_troubleSince is not { } since)
            {
                return null;
            }

            var line = string.Create(CultureInfo.InvariantCulture, $"the client works again after {_total} error{(_total == 1 ? string.Empty : "s")} since {since:HH:mm:ss} UTC");
            _lines.Clear();
            _troubleSince = null;
            _total = 0;
            return line;
        }
    }

    // librdkafka adds ", 3 identical error(s) suppressed" itself: the same line, counted here.
    private static string Key(string line) => Digits().Replace(Suppressed().Replace(line, string.Empty), "#");

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex(@", \d+ identical error\(s\) suppressed")]
    private static partial Regex Suppressed();

    private sealed class Entry
    {
        public DateTimeOffset Since { get; set; }

        public int Repeats { get; set; }
    }
}
