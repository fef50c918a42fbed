using System.Text;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Tests.Processing.RetryTopics;

public class RetryRouteTests
{
    private static readonly ProcessorOptions Options = new()
    {
        GroupId = "g",
        Topics = ["orders"],
        OnFailure = FailureAction.RetryTopics,
        RetryTopics = new RetryTopicOptions { Delays = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1)] },
    };

    private static readonly DateTimeOffset Now = new(2026, 12, 1, 5, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_processor_with_retry_topics_subscribes_to_its_topics_and_their_retry_topics()
    {
        Assert.Equal(["orders", "orders.retry.1", "orders.retry.2"], RetryRoute.Subscriptions(Options));
        Assert.Equal(["orders"], RetryRoute.Subscriptions(Options with { OnFailure = FailureAction.DeadLetter }));
    }

    [Fact]
    public void A_failure_goes_down_the_chain_with_attempt_due_time_and_original_position_then_to_the_dead_letter_topic()
    {
        var route = new RetryRoute(Options);

        var (first, firstHeaders) = route.Next(Message("orders", 3, 42, []), [], Now);
        Assert.Equal("orders.retry.1", first);
        Assert.Equal("1", Text(firstHeaders, RetryTopicHeaders.Attempt));
        Assert.Equal((Now + TimeSpan.FromSeconds(10)).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Text(firstHeaders, RetryTopicHeaders.DueAt));
        Assert.Equal(("orders", "3", "42"), (Text(firstHeaders, RetryTopicHeaders.OriginalTopic), Text(firstHeaders, RetryTopicHeaders.OriginalPartition), Text(firstHeaders, RetryTopicHeaders.OriginalOffset)));

        // Read back from retry 1 (another partition and offset there): the original position is kept, not repeated.
        var (second, secondHeaders) = route.Next(Message("orders.retry.1", 0, 7, firstHeaders), firstHeaders, Now);
        Assert.Equal("orders.retry.2", second);
        Assert.Equal("2", Text(secondHeaders, RetryTopicHeaders.Attempt));
        Assert.Single(secondHeaders, h => h.Key == RetryTopicHeaders.Attempt);
        Assert.Equal(("3", "42"), (Text(secondHeaders, RetryTopicHeaders.OriginalPartition), Text(secondHeaders, RetryTopicHeaders.OriginalOffset)));

        var (last, _) = route.Next(Message("orders.retry.2", 1, 9, secondHeaders), secondHeaders, Now);
        Assert.Equal("orders.dlq", last);
    }

    [Fact]
    public void Only_messages_with_a_due_header_have_a_due_time()
    {
        var headers = new Headers { { RetryTopicHeaders.DueAt, Encoding.UTF8.GetBytes("1764565200000") } };
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1764565200000), RetryRoute.DueAt(Message("orders.retry.1", 0, 0, headers)));
        Assert.Null(RetryRoute.DueAt(Message("orders", 0, 0, [])));
        Assert.True(new RetryRoute(Options).IsRetryTopic("orders.retry.2"));
        Assert.False(new RetryRoute(Options).IsRetryTopic("orders.retry.3"));
    }

    private static ConsumeResult<byte[]?, byte[]?> Message(string topic, int partition, long offset, Headers headers) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(topic, partition, offset),
        Message = new Message<byte[]?, byte[]?> { Value = [1], Headers = headers },
    };

    private static string? Text(Headers headers, string key) => headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
