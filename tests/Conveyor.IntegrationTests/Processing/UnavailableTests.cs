using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>A processor that cannot start says why within a bounded time, and can be told to fail.</summary>
[Collection(ProcessingCollection.Name)]
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
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options).SetObserver(observer).Handle((_, _) => ValueTask.CompletedTask).Build();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ProcessorStoppedException>(() => processor.RunAsync().WaitAsync(Timeouts.Flow));

        Assert.Equal(ProcessorStopReason.Unavailable, error.Reason);
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
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties("127.0.0.1:1"), options).SetObserver(observer).Handle((_, _) => ValueTask.CompletedTask).Build();
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);

        await observer.Reported.Task.WaitAsync(Timeouts.Flow);

        Assert.StartsWith("cannot reach the cluster at 127.0.0.1:1: ", processor.Status.Unavailable, StringComparison.Ordinal);
        Assert.False(run.IsCompleted);
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);
        Assert.Equal(ProcessorState.Stopped, processor.Status.State);
    }

    [Fact]
    public async Task A_refused_connection_to_every_broker_is_reported_at_once_not_after_the_unavailable_timeout()
    {
        var observer = new ProblemObserver();
        var options = new ProcessorOptions { GroupId = Names.Unique("group"), Topics = ["t"] }; // the default UnavailableTimeout, 30 s
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties("127.0.0.1:1"), options).SetObserver(observer).Handle((_, _) => ValueTask.CompletedTask).Build();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var run = processor.RunAsync(stop.Token);

        await observer.Reported.Task.WaitAsync(Timeouts.Flow);

        clock.Stop();
        Assert.StartsWith("cannot reach the cluster at 127.0.0.1:1: every broker is down (", processor.Status.Unavailable, StringComparison.Ordinal);
        Assert.Contains("Connection refused", processor.Status.Unavailable, StringComparison.Ordinal);
        // At once rather than after the 30 s UnavailableTimeout: 0.2 s at load 35, so a third of the
        // timeout leaves room for a descheduled test host and still fails when the report waits for it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);
    }

    [Fact]
    public void The_timed_diagnosis_names_a_refused_connection_at_once_as_the_cli_does()
    {
        // Nothing listens on port 1: the diagnosis (the CLI's too) ends at the refusal, in
        // librdkafka's words, instead of waiting out its metadata timeout for a plain "timed out".
        var clock = Stopwatch.StartNew();

        var problem = AvailabilityWatch.Diagnose(new ConsumerConfig { BootstrapServers = "127.0.0.1:1" }, ["orders"], lastError: null);

        clock.Stop();
        Assert.StartsWith("cannot reach the cluster at 127.0.0.1:1: every broker refused the connection (", problem, StringComparison.Ordinal);
        Assert.Contains("Connection refused", problem, StringComparison.Ordinal);
        // Without the early end it waits out its 5 s metadata timeout; at once took 0.6 s at load 35.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4.5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_group_protocol_the_cluster_does_not_support_stops_the_processor_at_once_when_asked_to()
    {
        // Its own broker: the api versions it advertises change for every client.
        await using var cluster = EmbeddedKafkaCluster.Start();
        cluster.CreateTopic("orders", 1);
        cluster.SetApiVersion(KafkaApiKey.ConsumerGroupHeartbeat, -1, -1);
        var observer = new ProblemObserver();
        var options = new ProcessorOptions { GroupId = Names.Unique("group"), Topics = ["orders"], FailWhenUnavailable = true };
        var client = new KafkaClientProperties(cluster.BootstrapServers, [new KafkaProperty("group.protocol", "consumer")]);
        var processor = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(observer).Handle((_, _) => ValueTask.CompletedTask).Build();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ProcessorStoppedException>(() => processor.RunAsync().WaitAsync(Timeouts.Flow));

        clock.Stop();
        Assert.Equal(ProcessorStopReason.Unavailable, error.Reason);
        Assert.Contains($"the cluster at {cluster.BootstrapServers} does not support group.protocol=consumer", error.Message, StringComparison.Ordinal);
        Assert.Equal(ProcessorState.Failed, processor.Status.State);
        Assert.Single(observer.Problems);
        // At once rather than after the 30 s UnavailableTimeout (librdkafka itself waits forever): 1.2 s
        // at load 35, so a third of the timeout leaves room for a descheduled test host.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
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
