using Conveyor.Processing;
using Conveyor.Testing;

namespace Conveyor.Tests.Testing;

public sealed class HandlerRunTests
{
    private static readonly ProcessorOptions Options = new()
    {
        GroupId = "orders-service",
        Topics = ["orders"],
        Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(100) },
    };

    [Fact]
    public async Task A_handler_that_succeeds_is_handled_at_its_first_attempt()
    {
        var result = await HandlerRun.RunAsync<string, int>((message, ct) => ValueTask.CompletedTask, "k", 1, Options, topic: "orders");

        Assert.Equal(HandlerRunOutcome.Handled, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Empty(result.RetryDelays);
    }

    [Fact]
    public async Task A_handler_that_fails_twice_is_retried_with_the_engines_back_off_and_then_handled()
    {
        var attempts = new List<int>();
        var result = await HandlerRun.RunAsync<string, int>((message, ct) =>
        {
            attempts.Add(message.Attempt);
            return message.Attempt < 3 ? throw new TimeoutException("slow") : ValueTask.CompletedTask;
        }, "k", 1, Options, topic: "orders");

        Assert.Equal(HandlerRunOutcome.Handled, result.Outcome);
        Assert.Equal(3, result.Attempts);
        Assert.Equal([1, 2, 3], attempts);
        Assert.Equal(2, result.RetryDelays.Count);
        Assert.InRange(result.RetryDelays[0].TotalMilliseconds, 80, 120);  // 100 ms, ±20 % jitter
        Assert.InRange(result.RetryDelays[1].TotalMilliseconds, 160, 240); // doubled
    }

    [Fact]
    public async Task A_handler_that_always_fails_is_dead_lettered_after_its_attempts_to_the_topics_dead_letter_topic()
    {
        var result = await HandlerRun.RunAsync<string, int>((message, ct) => throw new InvalidOperationException("bad order"), "k", 1, Options, topic: "orders");

        Assert.Equal(HandlerRunOutcome.DeadLettered, result.Outcome);
        Assert.Equal(3, result.Attempts);
        Assert.Equal("orders.dlq", result.FailureTopic);
        Assert.Equal("bad order", result.Failure?.Message);
    }

    [Fact]
    public async Task A_failure_that_is_not_retryable_goes_to_the_failure_action_at_once()
    {
        var options = Options with { Retry = Options.Retry with { IsRetryable = e => e is TimeoutException } };

        var result = await HandlerRun.RunAsync<string, int>((message, ct) => throw new InvalidOperationException("bad order"), "k", 1, options, topic: "orders");

        Assert.Equal(HandlerRunOutcome.DeadLettered, result.Outcome);
        Assert.Equal(1, result.Attempts);
        Assert.Empty(result.RetryDelays);
    }

    [Theory]
    [InlineData(FailureAction.StopPartition, HandlerRunOutcome.PartitionStopped)]
    [InlineData(FailureAction.StopProcessor, HandlerRunOutcome.ProcessorStopped)]
    public async Task The_failure_action_decides_what_a_failed_message_does(FailureAction action, HandlerRunOutcome expected)
    {
        var result = await HandlerRun.RunAsync<string, int>((message, ct) => throw new InvalidOperationException("bad order"), "k", 1, Options with { OnFailure = action }, topic: "orders");

        Assert.Equal(expected, result.Outcome);
        Assert.Equal(3, result.Attempts);
        Assert.Null(result.FailureTopic);
    }

    [Fact]
    public async Task With_retry_topics_a_failed_message_goes_to_the_first_retry_topic()
    {
        var result = await HandlerRun.RunAsync<string, int>((message, ct) => throw new InvalidOperationException("bad order"), "k", 1, Options with { OnFailure = FailureAction.RetryTopics }, topic: "orders");

        Assert.Equal(HandlerRunOutcome.SentToRetryTopic, result.Outcome);
        Assert.Equal("orders.retry.1", result.FailureTopic);
    }
}
