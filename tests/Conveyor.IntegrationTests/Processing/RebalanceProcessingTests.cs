using System.Collections.Concurrent;
using System.Globalization;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Xunit.Abstractions;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>A second processor joins the group mid-stream, with each rebalance protocol.</summary>
[Collection(RebalanceCollection.Name)]
public class RebalanceProcessingTests(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
{
    [Theory]
    [InlineData("eager")]
    [InlineData("cooperative")]
    [InlineData("kip848")]
    [InlineData("cooperative", OffsetCommitMode.Asynchronous)]
    [InlineData("kip848", OffsetCommitMode.Asynchronous)]
    [InlineData("eager", OffsetCommitMode.Synchronous, false)]
    [InlineData("cooperative", OffsetCommitMode.Synchronous, false)]
    [InlineData("kip848", OffsetCommitMode.Synchronous, false)]
    [InlineData("eager", OffsetCommitMode.Synchronous, true, true)]
    [InlineData("cooperative", OffsetCommitMode.Synchronous, true, true)]
    public async Task A_member_joining_mid_stream_loses_nothing(string protocol, OffsetCommitMode commitMode = OffsetCommitMode.Synchronous, bool persistCompletions = true, bool confluentConsume = false)
    {
        const int count = 3_000;
        var topic = kafka.CreateTopic(partitions: 6);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 50}", i.ToString(CultureInfo.InvariantCulture))));

        var handled = new ConcurrentDictionary<string, int>();
        var allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstPartDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondObserver = new RecordingObserver();
        var handledWhenSecondAssigned = -1;
        MessageHandler<string, string> handler = async (message, ct) =>
        {
            // Slow down after the first fifth until the second member owns partitions, so the
            // rebalance surely happens mid-stream (a classic join takes about 5 s here).
            if (firstPartDone.Task.IsCompleted && secondObserver.Assigned.IsEmpty)
            {
                await Task.Delay(50, ct);
            }
            else if (!secondObserver.Assigned.IsEmpty && handledWhenSecondAssigned < 0)
            {
                Interlocked.CompareExchange(ref handledWhenSecondAssigned, handled.Values.Sum(), -1);
            }

            handled.AddOrUpdate(message.Value, 1, (_, n) => n + 1);
            if (handled.Count >= count / 5)
            {
                firstPartDone.TrySetResult();
            }

            if (handled.Count >= count)
            {
                allHandled.TrySetResult();
            }
        };
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers, GroupProtocols.Properties(protocol));
        var options = new ProcessorOptions { GroupId = group, Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(200), MaxConcurrency = 8, CommitMode = commitMode, PersistCompletions = persistCompletions, ConfluentConsume = confluentConsume };
        var firstObserver = new RecordingObserver();
        var bothMembers = new RecordingObserver();

        using var stopFirst = new CancellationTokenSource();
        using var stopSecond = new CancellationTokenSource();
        var first = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(new CompositeObserver(firstObserver, bothMembers)).Handle(handler).Build().RunAsync(stopFirst.Token);
        await firstPartDone.Task.WaitAsync(Timeouts.Flow);

        // What the join can duplicate: work handled but not committed when it begins (the
        // committed offset stops at the lowest unfinished message, so work finished out of order
        // above it counts too), and work handled during the join.
        var committedBeforeJoin = bothMembers.CommittedSum;
        output.WriteLine($"{DateTime.UtcNow:ss.fff} second starts at {handled.Values.Sum()} handled, {committedBeforeJoin} committed");
        var second = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(new CompositeObserver(secondObserver, bothMembers)).Handle(handler).Build().RunAsync(stopSecond.Token);
        await allHandled.Task.WaitAsync(Timeouts.Rebalance * 2);

        // Once everything is committed, one member leaves and then the other stops.
        await bothMembers.WaitForCommittedSum(count, Timeouts.Rebalance);
        await stopSecond.CancelAsync();
        await second.WaitAsync(Timeouts.Stop);
        await stopFirst.CancelAsync();
        await first.WaitAsync(Timeouts.Stop);

        // Duplicates come only from work whose commit did not happen before the partitions moved.
        // The embedded broker refuses every commit while a classic group rebalances (a real broker
        // accepts them until the rejoin), so there that includes all the work done during the join.
        var duplicates = handled.Values.Sum() - count;
        var uncommittedAtJoin = handledWhenSecondAssigned - committedBeforeJoin;
        output.WriteLine($"{protocol} {commitMode} {(persistCompletions ? "persisted" : "watermark")}: {duplicates} duplicates, {firstObserver.Skipped.Count + secondObserver.Skipped.Count} finished messages skipped, {uncommittedAtJoin} handled and uncommitted when the join began or during it, "
            + $"{firstObserver.CommitFailures.Count + secondObserver.CommitFailures.Count} failed commits: "
            + string.Join(", ", firstObserver.CommitFailures.Concat(secondObserver.CommitFailures).Select(e => e.Code)));
        firstObserver.Log.ToList().ForEach(l => output.WriteLine("F " + l));
        secondObserver.Log.ToList().ForEach(l => output.WriteLine("S " + l));
        Assert.Equal(count, handled.Count);
        Assert.NotEmpty(secondObserver.Assigned); // the second member really took part
        Assert.Equal(count, kafka.Committed(group, topic, 6).Values.Sum());
        Assert.True(duplicates <= uncommittedAtJoin + (2 * options.MaxConcurrency), $"{duplicates} messages were handled twice, {uncommittedAtJoin} could be");
    }
}
