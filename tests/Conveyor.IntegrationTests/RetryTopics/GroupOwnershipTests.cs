using System.Collections.Concurrent;
using Conveyor.Cli.CommandLine;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary>Two consumer groups on one topic: each one's retries and replays reach only that group.</summary>
[Collection(ProcessingCollection.Name)]
public class GroupOwnershipTests(EmbeddedKafkaFixture kafka)
{
    /// <summary>KIP-848 groups: a second run of a group joins in seconds.</summary>
    private static readonly KafkaProperty[] Kip848 = [new("group.protocol", "consumer")];

    [Fact]
    public async Task Two_groups_on_one_topic_never_handle_each_others_retries_or_replays_and_lose_nothing()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var a = Options(topic, Names.Unique("group-a"));
        var b = Options(topic, Names.Unique("group-b"));
        var retryTopic = a.RetryTopics.TopicFor(topic, 1);
        var dlq = a.DeadLetterTopicFor(topic);
        kafka.Cluster.CreateTopic(retryTopic, 1);
        kafka.Cluster.CreateTopic(dlq, 1);

        // a-once fails once in group A (handled from the retry topic), a-dead always in A (dead-lettered after the retry); b-* the same in B.
        string[] keys = ["ok", "a-once", "b-once", "a-dead", "b-dead"];
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, keys.Select(k => ((string?)k, "v")));
        var handled = new ConcurrentDictionary<(string Group, string Key), int>();
        MessageHandler<string, string> Failing(string letter) => (message, _) =>
        {
            var count = handled.AddOrUpdate((letter, message.Key), 1, (_, n) => n + 1);
            return message.Key == $"{letter}-dead" || (message.Key == $"{letter}-once" && count == 1)
                ? throw new InvalidOperationException($"{letter} fails {message.Key}")
                : ValueTask.CompletedTask;
        };

        // Each group commits all 5 source offsets and all 4 retry records (2 its own, 2 passed as the other's).
        await RunBothAsync(a, Failing("a"), b, Failing("b"), (topic, keys.Length), (retryTopic, 4));

        Assert.Equal(
            new Dictionary<(string, string), int>
            {
                [("a", "ok")] = 1,
                [("a", "a-once")] = 2,
                [("a", "b-once")] = 1,
                [("a", "a-dead")] = 2,
                [("a", "b-dead")] = 1,
                [("b", "ok")] = 1,
                [("b", "b-once")] = 2,
                [("b", "a-once")] = 1,
                [("b", "b-dead")] = 2,
                [("b", "a-dead")] = 1,
            },
            handled.ToDictionary(h => h.Key, h => h.Value));
        var retries = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, retryTopic, 4, Timeouts.Flow);
        Assert.Equal(
            [("a-dead", a.GroupId), ("a-once", a.GroupId), ("b-dead", b.GroupId), ("b-once", b.GroupId)],
            retries.Select(r => (r.Message.Key!, r.Header(DeadLetterHeaders.TargetGroup))).Order());
        var letters = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, dlq, 2, Timeouts.Flow);
        Assert.Equal([("a-dead", a.GroupId), ("b-dead", b.GroupId)], letters.Select(l => (l.Message.Key!, l.Header(DeadLetterHeaders.ConsumerGroup))).Order());

        // A replay of everything mixes the groups: refused, nothing sent. Replaying group A's goes back to A only.
        var (refused, _, errors) = await CliAsync("dlq", "replay", "--all", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq);
        Assert.Equal(2, refused);
        Assert.StartsWith("error: the selected dead letters were failed by 2 consumer groups", errors, StringComparison.Ordinal);
        var (replayed, output, _) = await CliAsync("dlq", "replay", "--group", a.GroupId, "-b", kafka.Cluster.BootstrapServers, "--topic", dlq);
        Assert.Equal(0, replayed);
        Assert.Equal($"replayed 1 of 1 dead letter(s) from {dlq}; position kept in group conveyor-dlq-replay-{dlq}.{a.GroupId}", output[^1]);

        handled.Clear();
        MessageHandler<string, string> Fixed(string letter) => (message, _) =>
        {
            handled.AddOrUpdate((letter, message.Key), 1, (_, n) => n + 1);
            return ValueTask.CompletedTask;
        };
        // A dead letter of a retry chain names the last retry topic as its source: the replay goes there.
        await RunBothAsync(a, Fixed("a"), b, Fixed("b"), (retryTopic, 5));

        Assert.Equal(new Dictionary<(string, string), int> { [("a", "a-dead")] = 1 }, handled.ToDictionary(h => h.Key, h => h.Value));
        foreach (var group in new[] { a.GroupId, b.GroupId })
        {
            Assert.Equal(keys.Length, kafka.Committed(group, topic, 1)[0]);
            Assert.Equal(5, kafka.Committed(group, retryTopic, 1)[0]);
        }
    }

    /// <summary>Runs a processor of each group until each group has committed the offsets given (partition 0 of each topic).</summary>
    private async Task RunBothAsync(ProcessorOptions a, MessageHandler<string, string> handleA, ProcessorOptions b, MessageHandler<string, string> handleB, params (string Topic, long Offset)[] until)
    {
        using var stop = new CancellationTokenSource();
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers, Kip848);
        var running = new List<Task>();
        var reached = new List<Task>();

        foreach (var (options, handler) in new[] { (a, handleA), (b, handleB) })
        {
            var recorder = new RecordingObserver();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var observer = CheckingObserver.Create(recorder, () =>
            {
                if (until.All(u => recorder.Committed.Any(c => c.Topic == u.Topic && c.Offset.Value >= u.Offset)))
                {
                    done.TrySetResult();
                }
            });
            running.Add(new KafkaProcessorBuilder<string, string>(client, options).SetObserver(observer).Handle(handler).Build().RunAsync(stop.Token));
            reached.Add(done.Task);

        }

        try
        {
            await Task.WhenAll(reached).WaitAsync(Timeouts.Flow);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(running).WaitAsync(Timeouts.Stop);
        }
    }

    private static ProcessorOptions Options(string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        OnFailure = FailureAction.RetryTopics,
        RetryTopics = new RetryTopicOptions { Delays = [TimeSpan.FromMilliseconds(200)] },
        Retry = new RetryOptions { MaxAttempts = 1 },
        CommitInterval = TimeSpan.FromMilliseconds(100),
        Ordering = OrderingMode.Partition,
    };

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> CliAsync(params string[] args)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(args, output, errors).WaitAsync(Timeouts.Stop);
        return (exitCode, output.Lines, errors.ToString());
    }
}
