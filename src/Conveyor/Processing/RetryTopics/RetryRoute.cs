using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Conveyor.DeadLetters;

namespace Conveyor.Processing.RetryTopics;

/// <summary>
/// Where a message goes next under <see cref="FailureAction.RetryTopics"/>, and when a message read
/// from a retry topic is due. Stateless and thread-safe: workers route failures, the poll loop
/// reads due times.
/// </summary>
internal sealed class RetryRoute
{
    private readonly ProcessorOptions _options;
    private readonly Dictionary<string, (string Source, int Number)> _retryTopics = new(StringComparer.Ordinal);

    public RetryRoute(ProcessorOptions options)
    {
        _options = options;
        foreach (var topic in options.Topics)
        {
            for (var number = 1; number <= options.RetryTopics.Delays.Count; number++)
            {
                _retryTopics[options.RetryTopics.TopicFor(topic, number)] = (topic, number);
            }
        }
    }

    /// <summary>The topics a processor subscribes to: its own and, with retry topics, every retry topic of them.</summary>
    public static IReadOnlyList<string> Subscriptions(ProcessorOptions options) =>
        options.OnFailure == FailureAction.RetryTopics ? [.. options.Topics, .. new RetryRoute(options)._retryTopics.Keys] : options.Topics;

    /// <summary>Whether the topic is one of the retry topics.</summary>
    public bool IsRetryTopic(string topic) => _retryTopics.ContainsKey(topic);

    /// <summary>When a message read from a retry topic may be handled; null for any other message.</summary>
    public static DateTimeOffset? DueAt(ConsumeResult<byte[]?, byte[]?> message) =>
        Text(message.Message.Headers, RetryTopicHeaders.DueAt) is { } due && long.TryParse(due, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    /// <summary>
    /// The next stop of a message that failed for good: the next retry topic (with the headers that
    /// say which attempt, when it is due and where it came from), or the dead-letter topic of its
    /// original topic after the last retry topic.
    /// </summary>
    public (string Topic, Headers Headers) Next(ConsumeResult<byte[]?, byte[]?> source, Headers headers, DateTimeOffset now)
    {
        var (original, number) = _retryTopics.TryGetValue(source.Topic, out var retry) ? retry : (source.Topic, 0);
        if (number >= _options.RetryTopics.Delays.Count)
        {
            return (_options.DeadLetterTopicFor(original), headers);
        }

        var carried = new Headers();
        foreach (var header in headers.Where(h => !h.Key.StartsWith("conveyor.retry.", StringComparison.Ordinal)))
        {
            carried.Add(header.Key, header.GetValueBytes());
        }

        var sourceHeaders = source.Message.Headers;
        Add(carried, RetryTopicHeaders.Attempt, (number + 1).ToString(CultureInfo.InvariantCulture));
        Add(carried, RetryTopicHeaders.DueAt, (now + _options.RetryTopics.Delays[number]).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Add(carried, RetryTopicHeaders.OriginalTopic, original);
        Add(carried, RetryTopicHeaders.OriginalPartition, number == 0 ? source.Partition.Value.ToString(CultureInfo.InvariantCulture) : Text(sourceHeaders, RetryTopicHeaders.OriginalPartition) ?? string.Empty);
        Add(carried, RetryTopicHeaders.OriginalOffset, number == 0 ? source.Offset.Value.ToString(CultureInfo.InvariantCulture) : Text(sourceHeaders, RetryTopicHeaders.OriginalOffset) ?? string.Empty);

        // Another group subscribed to the same retry topics skips it: the retry is this group's.
        Add(carried, DeadLetterHeaders.TargetGroup, _options.GroupId);
        return (_options.RetryTopics.TopicFor(original, number + 1), carried);
    }

    private static void Add(Headers headers, string key, string value) => headers.Add(key, Encoding.UTF8.GetBytes(value));

    private static string? Text(Headers? headers, string key) =>
        headers is not null && headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
