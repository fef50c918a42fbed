extern alias SampleBatch;
extern alias SampleConsole;
extern alias SampleExactlyOnce;
extern alias SampleForwarder;
extern alias SampleRetryTopics;

namespace Conveyor.IntegrationTests.Samples;

/// <summary>
/// Each scenario sample, run as a user runs it without -b: on its own embedded broker, it sends its
/// messages, processes them, and stops by itself once everything is committed.
/// </summary>
public sealed class SampleSmokeTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public Task The_console_sample_retries_dead_letters_and_commits_everything() =>
        RunsToTheEnd(SampleConsole::Conveyor.Samples.ConsoleSample.RunAsync, "console sample finished", "retrying orders", "dead-lettered orders");

    [Fact]
    public Task The_forwarder_sample_forwards_every_order_to_both_topics() =>
        RunsToTheEnd(SampleForwarder::Conveyor.Samples.ForwarderSample.RunAsync, "forwarder sample finished", "orders.audit", "orders.billing");

    [Fact]
    public Task The_exactly_once_sample_commits_transactions() =>
        RunsToTheEnd(SampleExactlyOnce::Conveyor.Samples.ExactlyOnceSample.RunAsync, "exactly-once sample finished", "transaction committed");

    [Fact]
    public Task The_batch_sample_handles_batches() =>
        RunsToTheEnd(SampleBatch::Conveyor.Samples.BatchSample.RunAsync, "batch sample finished", "batch of ");

    [Fact]
    public Task The_retry_topics_sample_retries_through_both_topics_then_dead_letters() =>
        RunsToTheEnd(SampleRetryTopics::Conveyor.Samples.RetryTopicsSample.RunAsync, "retry-topics sample finished", "handled from orders.retry.1", "to orders.retry.2", "to orders.dlq");

    private static async Task RunsToTheEnd(Func<string[], TextWriter, CancellationToken, Task<int>> sample, params string[] expected)
    {
        var output = new StringWriter();
        var synchronized = TextWriter.Synchronized(output);
        using var limit = new CancellationTokenSource(Limit);

        var exitCode = await sample([], synchronized, limit.Token);

        var text = output.ToString();
        Assert.False(limit.IsCancellationRequested, $"the sample did not finish by itself within {Limit}:\n{text}");
        Assert.Equal(0, exitCode);
        foreach (var line in expected)
        {
            Assert.Contains(line, text, StringComparison.Ordinal);
        }
    }
}
