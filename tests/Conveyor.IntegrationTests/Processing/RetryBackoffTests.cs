using System.Collections.Concurrent;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>A message waiting for its retry holds its key, not a worker.</summary>
[Collection(ProcessingCollection.Name)]
public class RetryBackoffTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Messages_waiting_for_a_retry_hold_no_worker_their_keys_wait_and_a_stop_does_not_wait_for_them()
    {
        const int workers = 4, healthy = 200;
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        // As many failing keys as workers come first; then a later message of a failing key, then healthy keys.
        var messages = Enumerable.Range(0, workers).Select(k => ((string?)$"failing-{k}", "fail"))
            .Append(("failing-0", "after the failure"))
            .Concat(Enumerable.Range(0, healthy).Select(i => ((string?)$"healthy-{i}", "ok")));
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, messages);

        var attempts = new ConcurrentDictionary<long, int>();
        var handledHealthy = 0;
        var handledBehindFailure = 0;
        var observer = new RecordingObserver();
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            MaxConcurrency = workers,
            CommitInterval = TimeSpan.FromMilliseconds(100),
            // A back-off longer than the whole test: a worker that sat it out would hold the test up.
            Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(90), MaxDelay = TimeSpan.FromSeconds(90) },
        };

        var started = DateTime.UtcNow;
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, options, observer, (message, _) =>
        {
            attempts.AddOrUpdate(message.Offset, 1, (_, n) => n + 1);
            switch (message.Value)
            {
                case "fail":
                    throw new InvalidOperationException("fails until retried");
                case "after the failure":
                    Interlocked.Increment(ref handledBehindFailure);
                    break;
                default:
                    Interlocked.Increment(ref handledHealthy);
                    break;
            }

            return ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handledHealthy) == healthy && observer.Retries.Count == workers);

        Assert.Equal(healthy, handledHealthy); // every worker stayed free for them
        Assert.Equal(0, handledBehindFailure); // its key waits behind the failed message
        Assert.All(Enumerable.Range(0, workers), offset => Assert.Equal(1, attempts[offset])); // no retry ran yet
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "the run, stop included, waited for a back-off");
        Assert.True(kafka.Committed(group, topic, 1)[0] <= 0, "the commit passed messages that wait for a retry");
    }
}
