namespace Conveyor.Processing.RetryTopics;

/// <summary>The headers Conveyor adds to a message it writes to a retry topic (values are UTF-8 text).</summary>
public static class RetryTopicHeaders
{
    /// <summary>The retry number: 1 in the first retry topic.</summary>
    public const string Attempt = "conveyor.retry.attempt";

    /// <summary>When it may be handled again, Unix milliseconds.</summary>
    public const string DueAt = "conveyor.retry.due";

    /// <summary>The topic it was first consumed from.</summary>
    public const string OriginalTopic = "conveyor.retry.original.topic";

    /// <summary>Its partition there.</summary>
    public const string OriginalPartition = "conveyor.retry.original.partition";

    /// <summary>Its offset there.</summary>
    public const string OriginalOffset = "conveyor.retry.original.offset";
}
