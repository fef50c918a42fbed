using System.Globalization;

namespace Conveyor.DeadLetters;

/// <summary>Which dead letters <c>dlq list</c> and <c>dlq replay</c> select; an unset criterion matches everything.</summary>
/// <param name="SourceTopic">Exactly this source topic.</param>
/// <param name="Exception">Part of the exception's type name, ignoring case (<c>Timeout</c> matches <c>System.TimeoutException</c>).</param>
/// <param name="Key">Exactly this key (as text, or <c>0x</c>hex for a key that is not text).</param>
/// <param name="Since">Failed at or after this time.</param>
/// <param name="Group">Failed by exactly this consumer group.</param>
internal sealed record DeadLetterFilter(string? SourceTopic, string? Exception, string? Key, DateTimeOffset? Since, string? Group = null)
{
    public static readonly DeadLetterFilter All = new(null, null, null, null);

    public bool IsEmpty => this == All;

    public bool Matches(DeadLetter letter) =>
        (Group is null || letter.ConsumerGroup == Group)
        && (SourceTopic is null || letter.SourceTopic == SourceTopic)
        && (Exception is null || (letter.ExceptionType ?? "").Contains(Exception, StringComparison.OrdinalIgnoreCase))
        && (Key is null || letter.Key == Key)
        && (Since is null || (letter.FailedAt is { } at && at >= Since));

    /// <summary>
    /// <c>--since</c>: a time (<c>2026-12-01T02:00:00Z</c>) or a span back from now: <c>90s</c>,
    /// <c>30m</c>, <c>2h</c>, <c>1d</c> or <c>hh:mm:ss</c>.
    /// </summary>
    public static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        since = default;
        text = text.Trim();
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            TimeSpan? back = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (back is { } span)
            {
                since = now - span;
                return true;
            }
        }

        if (!text.Contains('-', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var ago) && ago >= TimeSpan.Zero)
        {
            since = now - ago;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out since);
    }
}
