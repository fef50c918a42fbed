namespace Conveyor.Processing.RetryTopics;

/// <summary>
/// The chain of retry topics of <see cref="FailureAction.RetryTopics"/>: a message that failed for
/// good in <c>orders</c> goes to <c>orders.retry.1</c>, is handled again once <see cref="Delays"/>[0]
/// has passed, then (failing again) to <c>orders.retry.2</c> after <see cref="Delays"/>[1], and so
/// on; after the last one it goes to the dead-letter topic.
/// </summary>
public sealed record RetryTopicOptions
{
    /// <summary>How long each retry topic holds a message before it is handled again; one topic per delay. Default 10 s, 1 min.</summary>
    public IReadOnlyList<TimeSpan> Delays { get; init; } = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)];

    /// <summary>Between the source topic's name and the retry number. Default <c>.retry.</c>.</summary>
    public string Suffix { get; init; } = ".retry.";

    /// <summary>The name of retry topic <paramref name="number"/> (1-based) of <paramref name="sourceTopic"/>.</summary>
    public string TopicFor(string sourceTopic, int number) => $"{sourceTopic}{Suffix}{number}";
}
