using System.Collections.Concurrent;
using System.Diagnostics;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>A processor that cannot start says why within a bounded time, and can be told to fail.</summary>
[Collection(EmbeddedKafkaCollection.Name)]
public class UnavailableTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_missing_topic_fails_the_run_when_asked_to()
    {
        var observer = new ProblemObserver();
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = ["no-such-topic-" + Names.Unique("t")],
            UnavailableTimeout = TimeSpan.FromSeconds(1),
            FailWhenUnavailable = true,
        };
        var processor = new KafkaProcessor<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options, (_, _) => ValueTask.CompletedTask, observer: observer);
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ProcessorStoppedException>(() => processor.RunAsync().WaitAsync(Timeouts.Flow));

        Assert.Contains($"topic '{options.Topics[0]}' does not exist on {kafka.Cluster.BootstrapServers}", error.Message, StringComparison.Ordinal);
        Assert.Contains("FailWhenUnavailable", error.Message, StringComparison.Ordinal);
        Assert.Single(observer.Problems);
        Assert.Equal(ProcessorState.Failed, processor.Status.State);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task An_unreachable_cluster_is_reported_through_the_status_and_the_run_waits_by_default()
    {
        var observer = new ProblemObserver();
        var options = new ProcessorOptions { GroupId = Names.Unique("group"), Topics = ["t"], UnavailableTimeout = TimeSpan.FromSeconds(1) };
        var processor = new KafkaProcessor<string, string>(new KafkaClientProperties("127.0.0.1:1"), options, (_, _) => ValueTask.CompletedTask, observer: observer);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);

        await observer.Reported.Task.WaitAsync(Timeouts.Flow);

        Assert.StartsWith("cannot reach the cluster at 127.0.0.1:1: ", processor.Status.Unavailable, StringComparison.Ordinal);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);
        Assert.Equal(ProcessorState.Stopped, processor.Status.State);
    }

    private sealed class ProblemObserver : IProcessorObserver
    {
        public ConcurrentQueue<string> Problems { get; } = new();

        public TaskCompletionSource Reported { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnUnavailable(string problem)
        {
            Problems.Enqueue(problem);
            Reported.TrySetResult();
        }
    }
}
