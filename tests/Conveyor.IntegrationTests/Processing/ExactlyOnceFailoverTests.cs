using System.Globalization;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// Exactly-once while coordinators move and brokers go down and up, on a three-broker embedded
/// cluster of the test's own (partition leaders on broker 1, the group's coordinator on 2, the
/// transaction coordinator on 3), checked through <see cref="TransactionInvariantObserver"/>. The
/// embedded broker does not enforce transactions, so these check the engine's calls; duplicates
/// downstream can only be counted on a real cluster (<c>conveyor verify --exactly-once -b</c>).
/// </summary>
public class ExactlyOnceFailoverTests
{
    private const int GroupCoordinator = 2;
    private const int TransactionCoordinator = 3;

    [Fact]
    public async Task Partitions_lost_while_the_group_coordinator_is_down_have_their_outputs_aborted_not_committed_without_offsets()
    {
        using var cluster = Cluster(out var input, out var output, out var group, out var transactionalId);
        await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, input, Enumerable.Range(0, 20).Select(i => ((string?)$"k{i}", $"m{i}")));
        var observer = new TransactionInvariantObserver();
        var forwarded = Until(observer, () => observer.Forwarded >= 20);

        // No commit on the interval nor of quiet partitions: the outputs of all 20 stay in the open transaction.
        var running = Start(cluster, Options(input, group, transactionalId) with { CommitInterval = TimeSpan.FromHours(1), IdleCommitDelay = Timeout.InfiniteTimeSpan }, output, observer, out var stop);
        await forwarded.WaitAsync(Timeouts.Flow);

        // The member hears nothing from its coordinator for a session: librdkafka reports its partitions lost.
        cluster.SetBrokerDown(GroupCoordinator);
        await observer.Lost.WaitAsync(Timeouts.Flow);

        // Stopping commits what is left in the transaction (the transaction coordinator is up).
        await stop.CancelAsync();
        await running.WaitAsync(Timeouts.Stop);
        cluster.SetBrokerUp(GroupCoordinator);

        Assert.Empty(observer.Violations);
        Assert.Equal(0, observer.CommittedInputs);
        Assert.True(observer.Aborts >= 1, "the lost partitions' transaction was aborted");
    }

    [Fact]
    public async Task Moving_both_coordinators_and_taking_each_down_and_up_commits_every_input_with_its_offset()
    {
        const int count = 600;
        using var cluster = Cluster(out var input, out var output, out var group, out var transactionalId);
        await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"m{i}")));
        var observer = new TransactionInvariantObserver();
        var quarter = Until(observer, () => observer.CommittedInputs >= count / 4);
        var half = Until(observer, () => observer.CommittedInputs >= count / 2);
        var threeQuarters = Until(observer, () => observer.CommittedInputs >= count * 3 / 4);
        var all = Until(observer, () => observer.CommittedInputs >= count);

        // A little work per message, so the faults land mid-run. The last inputs wait until the
        // partitions' leader is down: the run could otherwise finish before the last fault (150
        // inputs of 5 ms in two partitions take under half a second), and then there is nothing
        // for the clients to notice.
        var lastFault = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task Hold(string value) => int.Parse(value.AsSpan(1), CultureInfo.InvariantCulture) >= count * 5 / 6 ? lastFault.Task : Task.CompletedTask;
        var options = Options(input, group, transactionalId) with { CommitInterval = TimeSpan.FromMilliseconds(100) };
        var running = Start(cluster, options, output, observer, out var stop, perMessage: TimeSpan.FromMilliseconds(5), hold: Hold);
        await Step(observer, quarter, Timeouts.Flow, "a quarter of the inputs committed");
        cluster.SetTransactionCoordinator(transactionalId, 1);
        cluster.SetGroupCoordinator(group, TransactionCoordinator);

        // The group's coordinator goes down; as Kafka would, the group moves to a live broker, and
        // the old one comes back. A SendOffsetsToTransaction in flight may wait for the old broker
        // past its timeout without end (librdkafka #5456, #5511): then the forwarder stops with
        // that reason, and starts again as a host would restart it.
        await Step(observer, half, Timeouts.Flow, "half of the inputs committed");
        var noticed = observer.NextError();
        cluster.SetBrokerDown(TransactionCoordinator);
        observer.Note($"broker {TransactionCoordinator} down");
        await Step(observer, noticed, Timeouts.Flow, $"the clients noticed broker {TransactionCoordinator} down");
        cluster.SetGroupCoordinator(group, GroupCoordinator);
        cluster.SetBrokerUp(TransactionCoordinator);
        observer.Note($"broker {TransactionCoordinator} up");
        if (await Task.WhenAny(threeQuarters, running).WaitAsync(Timeouts.Flow) == running)
        {
            running = Restart();
        }

        // Then the transaction coordinator (also the partitions' leader) goes down and comes back.
        // The clients may say so at once (an error), or the engine may meet it first inside a
        // transactional call: a commit in flight waits out the transaction timeout, and up to 5 s
        // more before it is given up as stuck, and only then aborts or stops the forwarder (the
        // poll thread, blocked meanwhile, serves no consumer errors). Any of the three shows the
        // fault met the work; the wait allows for the longest.
        var error = observer.NextError();
        var aborted = observer.NextAbort();
        cluster.SetBrokerDown(1);
        observer.Note("broker 1 down; the held inputs run");
        lastFault.TrySetResult(); // the held inputs run, and their outputs meet the broker down
        await Step(observer, Task.WhenAny(error, aborted, running), options.TransactionTimeout + TimeSpan.FromSeconds(5) + Timeouts.Flow, "the clients noticed broker 1 down");
        cluster.SetBrokerUp(1);
        observer.Note("broker 1 up");
        if (await Task.WhenAny(all, running).WaitAsync(Timeouts.Flow * 2) == running)
        {
            running = Restart();
        }

        await Step(observer, all, Timeouts.Flow * 2, "every input committed");
        await stop.CancelAsync();
        await running.WaitAsync(Timeouts.Stop);

        Assert.Empty(observer.Violations);
        Assert.Equal(count, observer.CommittedInputs);

        // A transactional call that never returned stopped the forwarder (the run ended), or a
        // forwarder restarted after the first fault was still starting its transactions when
        // broker 1 went down (seen in a full run: "Could not start transactions ..."); a host
        // would start it again either way. Any other stop fails the test.
        Task Restart()
        {
            var stopped = Assert.IsType<ProcessorStoppedException>(running.Exception?.InnerException);
            Assert.True(
                stopped.Reason == ProcessorStopReason.TransactionsUnavailable || stopped.Message.Contains("did not return", StringComparison.Ordinal),
                $"the forwarder stopped for another reason ({stopped.Reason}): {stopped.Message}");
            observer.Restarted();
            observer.Note("restarted");
            return Start(cluster, options, output, observer, out stop, perMessage: TimeSpan.FromMilliseconds(5), hold: Hold);
        }
    }

    private static EmbeddedKafkaCluster Cluster(out string input, out string output, out string group, out string transactionalId)
    {
        var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = 3 });
        input = Names.Unique("topic");
        output = Names.Unique("topic");
        group = Names.Unique("group");
        transactionalId = Names.Unique("txn");
        foreach (var topic in new[] { input, output })
        {
            cluster.CreateTopic(topic, 2);
            cluster.SetPartitionLeader(topic, 0, 1);
            cluster.SetPartitionLeader(topic, 1, 1);
        }

        cluster.SetGroupCoordinator(group, GroupCoordinator);
        cluster.SetTransactionCoordinator(transactionalId, TransactionCoordinator);
        return cluster;
    }

    private static ProcessorOptions Options(string input, string group, string transactionalId) => new()
    {
        GroupId = group,
        Topics = [input],
        Guarantee = DeliveryGuarantee.ExactlyOnce,
        Ordering = OrderingMode.Partition,
        TransactionalId = transactionalId,
    };

    private static Task Start(EmbeddedKafkaCluster cluster, ProcessorOptions options, string output, TransactionInvariantObserver observer, out CancellationTokenSource stop, TimeSpan perMessage = default, Func<string, Task>? hold = null)
    {
        stop = new CancellationTokenSource();
        var client = new KafkaClientProperties(cluster.BootstrapServers, [new("session.timeout.ms", "6000"), new("heartbeat.interval.ms", "500")]);
        var forwarder = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(observer).Forward(async (message, ct) =>
        {
            if (perMessage > TimeSpan.Zero)
            {
                await Task.Delay(perMessage, ct);
            }

            if (hold is not null)
            {
                await hold(message.Value).WaitAsync(ct);
            }

            return [OutputRecord.Utf8(output, message.Key, message.Value)];
        }).Build();
        return forwarder.RunAsync(stop.Token);
    }

    /// <summary>Waits for a step of the test; when it does not come, fails with the observer's timeline.</summary>
    private static async Task Step(TransactionInvariantObserver observer, Task step, TimeSpan timeout, string what)
    {
        try
        {
            await step.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what}: not within {timeout.TotalSeconds} s. Timeline:{Environment.NewLine}{observer.Timeline}");
        }

        observer.Note(what);
    }

    /// <summary>Completes once <paramref name="condition"/> holds, asked after every event of the observer.</summary>
    private static Task Until(TransactionInvariantObserver observer, Func<bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = observer.Changed;
        observer.Changed = () =>
        {
            previous?.Invoke();
            if (condition())
            {
                done.TrySetResult();
            }
        };
        return done.Task;
    }
}
