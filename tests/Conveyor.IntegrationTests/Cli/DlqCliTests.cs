using System.Collections.Concurrent;
using System.Text.Json;
using Conveyor.Cli.CommandLine;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor dlq list|show|replay</c> against what the engine dead-lettered on the embedded broker.</summary>
[Collection(CliCollection.Name)]
public class DlqCliTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task List_shows_each_dead_letter_and_the_filters_select_what_they_say()
    {
        var (topic, group) = await DeadLetterAsync(
            [("ok-1", "{\"id\":1}"), ("bad-2", "{\"id\":2}"), ("slow-3", "{\"id\":3}"), ("bad-4", "{\"id\":4}")]);
        var dlq = topic + ".dlq";

        var (exitCode, output, errors) = await Run("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--source-topic", topic);
        Assert.True(exitCode == 0, errors);
        Assert.StartsWith("DLQ P:OFFSET  SOURCE", output[0], StringComparison.Ordinal);
        Assert.Contains("  GROUP  ", output[0], StringComparison.Ordinal);
        Assert.Equal(3, output.Count - 2);
        Assert.Contains(output, l => l.StartsWith("0:0 ", StringComparison.Ordinal) && l.Contains($"{topic}[0]@1", StringComparison.Ordinal)
            && l.Contains("bad-2", StringComparison.Ordinal) && l.Contains("handler", StringComparison.Ordinal) && l.Contains(group, StringComparison.Ordinal)
            && l.Contains("ArgumentException: bad input", StringComparison.Ordinal));
        Assert.Contains(output, l => l.Contains("slow-3", StringComparison.Ordinal) && l.Contains("TimeoutException: too slow", StringComparison.Ordinal));
        Assert.Equal($"3 of 3 dead letters in {dlq} (filtered)", output[^1]);

        var json = await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json");
        var letters = json.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["bad-2", "slow-3", "bad-4"], letters.Select(l => l.GetProperty("key").GetString()));
        Assert.All(letters, l => Assert.Equal(topic, l.GetProperty("sourceTopic").GetString()));
        Assert.Equal([1L, 2L, 3L], letters.Select(l => l.GetProperty("sourceOffset").GetInt64()));
        Assert.Equal([0L, 1L, 2L], letters.Select(l => l.GetProperty("offset").GetInt64()));
        Assert.All(letters, l => Assert.Equal(1, l.GetProperty("attempts").GetInt32()));

        Assert.Equal(["slow-3"], Keys(await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--exception", "timeout")));
        Assert.Equal(["bad-4"], Keys(await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--key", "bad-4")));
        Assert.Equal(["bad-2", "slow-3"], Keys(await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--limit", "2")));
        Assert.Equal(3, (await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--since", "1h")).Count);
        Assert.Empty(await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--since", "2099-01-01T00:00:00Z"));
        Assert.Empty(await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--source-topic", "other"));
        Assert.Equal(3, (await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--group", group)).Count);
        Assert.Empty(await Lines("dlq", "list", "-b", kafka.Cluster.BootstrapServers, "--topic", dlq, "--json", "--group", "another-group"));
    }

    [Fact]
    public async Task Show_prints_every_header_the_value_indented_and_the_stack_trace()
    {
        var (topic, _) = await DeadLetterAsync([("bad-1", "{\"id\":1,\"email\":\"a@b\"}")]);

        var (exitCode, output, errors) = await Run("dlq", "show", "0:0", "-b", kafka.Cluster.BootstrapServers, "--source-topic", topic);

        Assert.True(exitCode == 0, errors);
        Assert.Equal($"dead letter {topic}.dlq partition 0 offset 0", output[0]);
        Assert.Contains($"source:     {topic}[0]@0", output);
        Assert.Contains("exception:  System.ArgumentException: bad input", output);
        Assert.Contains("key:        bad-1", output);
        foreach (var header in new[] { DeadLetterHeaders.SourceTopic, DeadLetterHeaders.SourcePartition, DeadLetterHeaders.SourceOffset, DeadLetterHeaders.SourceTimestamp,
            DeadLetterHeaders.ConsumerGroup, DeadLetterHeaders.FailureKind, DeadLetterHeaders.ExceptionType, DeadLetterHeaders.ExceptionMessage, DeadLetterHeaders.Attempts, DeadLetterHeaders.FailedAt })
        {
            Assert.Contains(output, l => l.StartsWith($"  {header}: ", StringComparison.Ordinal));
        }

        Assert.Contains($"  {DeadLetterHeaders.ExceptionStackTrace}: (the stack trace, below)", output);
        var value = output.SkipWhile(l => l != "value:").Skip(1).TakeWhile(l => l != "stack trace:").ToList();
        Assert.Equal(["  {", "    \"id\": 1,", "    \"email\": \"a@b\"", "  }"], value);
        var trace = output.SkipWhile(l => l != "stack trace:").Skip(1).ToList();
        Assert.StartsWith("  System.ArgumentException: bad input", trace[0], StringComparison.Ordinal);
        Assert.Contains(trace, l => l.Contains(nameof(DlqCliTests), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_topic_or_group_it_asks_for_one_and_with_a_group_it_finds_the_groups_dead_letter_topic()
    {
        var (topic, group) = await DeadLetterAsync([("bad-1", "{}")]);
        var servers = kafka.Cluster.BootstrapServers;

        foreach (var command in new[] { new[] { "list" }, ["show", "0:0"], ["replay", "--all"] })
        {
            var (exitCode, _, errors) = await Run(["dlq", .. command, "-b", servers]);
            Assert.Equal(2, exitCode);
            Assert.Equal("error: say which dead-letter topic: --topic orders.dlq, --source-topic orders, or --group G (found from the topics G has committed offsets for).", errors.Split(Environment.NewLine)[0]);
        }

        var (listed, output, listErrors) = await Run("dlq", "list", "-b", servers, "--group", group);
        Assert.True(listed == 0, listErrors);
        Assert.StartsWith("DLQ P:OFFSET  SOURCE", output[0], StringComparison.Ordinal);
        Assert.Equal($"1 of 1 dead letters in {topic}.dlq (filtered)", output[^1]);

        var unknown = Names.Unique("group");
        var (missing, _, missingErrors) = await Run("dlq", "list", "-b", servers, "--group", unknown);
        Assert.Equal(1, missing);
        Assert.StartsWith($"error: group {unknown} has no committed offsets on {servers}, so its dead-letter topic cannot be found", missingErrors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_a_clear_message_and_sends_nothing()
    {
        var (topic, _) = await DeadLetterAsync([("bad-1", "{\"id\":1}")]);
        var dlq = topic + ".dlq";
        var servers = kafka.Cluster.BootstrapServers;

        var (exitCode, _, errors) = await Run("dlq", "show", "0:7", "-b", servers, "--topic", dlq);
        Assert.Equal(1, exitCode);
        Assert.Equal($"error: no dead letter at {dlq} partition 0 offset 7: that partition holds offsets 0 to 0. See conveyor dlq list.", errors.Trim());

        (exitCode, _, errors) = await Run("dlq", "show", "zero", "-b", servers, "--topic", dlq);
        Assert.Equal(2, exitCode);
        Assert.Contains("'zero' is not a dead letter's position: expected PARTITION:OFFSET", errors, StringComparison.Ordinal);

        (exitCode, _, errors) = await Run("dlq", "list", "-b", servers, "--topic", topic);
        Assert.Equal(1, exitCode);
        Assert.Contains($"{topic} is not a dead-letter topic: the record at partition 0 offset 0 has no conveyor.source.topic header", errors, StringComparison.Ordinal);

        (exitCode, _, errors) = await Run("dlq", "replay", "--all", "-b", servers, "--topic", topic);
        Assert.Equal(1, exitCode);
        Assert.Contains("is not a dead-letter topic", errors, StringComparison.Ordinal);

        (exitCode, _, errors) = await Run("dlq", "list", "-b", servers, "--topic", "no-such-dlq");
        Assert.Equal(1, exitCode);
        Assert.Contains("topic 'no-such-dlq' (given with --topic) does not exist", errors, StringComparison.Ordinal);

        (exitCode, _, errors) = await Run("dlq", "replay", "--all", "-b", servers, "--topic", dlq, "--to", "no-such-target");
        Assert.Equal(1, exitCode);
        Assert.Contains("topic 'no-such-target' (given with --to) does not exist", errors, StringComparison.Ordinal);
        Assert.Contains("nothing was sent", errors, StringComparison.Ordinal);

        (exitCode, _, errors) = await Run("dlq", "replay", "-b", servers, "--topic", dlq);
        Assert.Equal(2, exitCode);
        Assert.Contains("say which dead letters to replay: --all, or filters", errors, StringComparison.Ordinal);

        // Nothing was replayed: the position is unset and the source topic still holds only its own message.
        Assert.Equal(-1001, kafka.Committed($"conveyor-dlq-replay-{dlq}", dlq, 1)[0]);
        Assert.Single(KafkaTestClient.ReadUntil(servers, topic, _ => false, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task Replay_brings_each_dead_letter_back_once_and_the_fixed_handler_processes_it()
    {
        var (topic, group) = await DeadLetterAsync([("ok-1", "{\"id\":1}"), ("bad-2", "{\"id\":2}"), ("bad-3", "{\"id\":3}"), ("ok-4", "{\"id\":4}")]);
        var dlq = topic + ".dlq";
        var servers = kafka.Cluster.BootstrapServers;

        var dryRun = await Lines("dlq", "replay", "--all", "--dry-run", "-b", servers, "--topic", dlq);
        Assert.Equal([$"would replay {dlq} 0:0 ({topic}[0]@1, key bad-2) to {topic}", $"would replay {dlq} 0:1 ({topic}[0]@2, key bad-3) to {topic}",
            "dry run: would replay 2 dead letter(s); nothing sent"], dryRun);
        Assert.Equal(-1001, kafka.Committed($"conveyor-dlq-replay-{dlq}", dlq, 1)[0]);

        var replay = await Lines("dlq", "replay", "--all", "-b", servers, "--topic", dlq);
        Assert.Equal([$"replayed {dlq} 0:0 ({topic}[0]@1, key bad-2) to {topic}[0]@4", $"replayed {dlq} 0:1 ({topic}[0]@2, key bad-3) to {topic}[0]@5",
            $"replayed 2 of 2 dead letter(s) from {dlq}; position kept in group conveyor-dlq-replay-{dlq}"], replay);
        Assert.Equal(2, kafka.Committed($"conveyor-dlq-replay-{dlq}", dlq, 1)[0]);

        var again = await Lines("dlq", "replay", "--all", "-b", servers, "--topic", dlq);
        Assert.Equal([$"nothing to replay: every dead letter in {dlq} was replayed before (group conveyor-dlq-replay-{dlq})"], again);

        var records = KafkaTestClient.ReadAll(servers, topic, 6, Timeouts.Flow);
        var replayed = records.Skip(4).ToList();
        Assert.Equal(["bad-2", "bad-3"], replayed.Select(r => r.Message.Key));
        Assert.Equal(["{\"id\":2}", "{\"id\":3}"], replayed.Select(r => r.Message.Value));
        Assert.All(replayed, r => Assert.DoesNotContain(r.Message.Headers, h => h.Key.StartsWith("conveyor.", StringComparison.Ordinal)
            && h.Key is not (ReplayHeaders.ReplayedFrom or ReplayHeaders.ReplayedAt or DeadLetterHeaders.TargetGroup)));
        Assert.All(replayed, r => Assert.Equal(group, r.Header(DeadLetterHeaders.TargetGroup)));
        Assert.Equal($"{dlq}/0/0", replayed[0].Header(ReplayHeaders.ReplayedFrom));
        Assert.True(DateTimeOffset.Parse(replayed[0].Header(ReplayHeaders.ReplayedAt), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-5));

        // The handler is fixed; the same group picks up exactly the replayed messages, once each.
        var handled = new ConcurrentQueue<string>();
        await ProcessorRun.UntilAsync<string>(servers, Options(topic, group), new RecordingObserver(), (message, _) =>
        {
            handled.Enqueue(message.Key);
            return ValueTask.CompletedTask;
        }, () => kafka.Committed(group, topic, 1)[0] == 6, properties: Kip848);
        Assert.Equal(["bad-2", "bad-3"], handled.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_filtered_replay_stops_at_the_first_dead_letter_it_skips_so_a_later_replay_still_sends_it()
    {
        var (topic, _) = await DeadLetterAsync([("bad-1", "{}"), ("slow-2", "{}"), ("bad-3", "{}")]);
        var dlq = topic + ".dlq";
        var servers = kafka.Cluster.BootstrapServers;

        var first = await Lines("dlq", "replay", "--exception", "Argument", "-b", servers, "--topic", dlq);
        Assert.Equal([
            "partition 0: stopping at offset 1, which the filters skip; 1 later dead letter(s) there that they select wait until it is replayed (the position never passes a dead letter that was not sent)",
            $"replayed {dlq} 0:0 ({topic}[0]@0, key bad-1) to {topic}[0]@3",
            $"replayed 1 of 1 dead letter(s) from {dlq}; position kept in group conveyor-dlq-replay-{dlq}"], first);

        var second = await Lines("dlq", "replay", "--all", "-b", servers, "--topic", dlq);
        Assert.Equal(3, second.Count);
        Assert.Equal(["bad-1", "slow-2", "bad-3"], KafkaTestClient.ReadAll(servers, topic, 6, Timeouts.Flow).Skip(3).Select(r => r.Message.Key));
        Assert.Equal([$"nothing to replay: every dead letter in {dlq} was replayed before (group conveyor-dlq-replay-{dlq})"],
            await Lines("dlq", "replay", "--all", "-b", servers, "--topic", dlq));
    }

    [Fact]
    public async Task Replay_to_another_topic_sends_there()
    {
        var (topic, _) = await DeadLetterAsync([("bad-1", "{}")]);
        var parking = kafka.CreateTopic(partitions: 1);

        var lines = await Lines("dlq", "replay", "--key", "bad-1", "--to", parking, "-b", kafka.Cluster.BootstrapServers, "--source-topic", topic);

        Assert.Equal($"replayed {topic}.dlq 0:0 ({topic}[0]@0, key bad-1) to {parking}[0]@0", lines[0]);
        Assert.Equal("bad-1", Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, parking, Timeouts.Flow)).Message.Key); // to the end: a second replay would show
    }

    /// <summary>
    /// Produces the messages into a new one-partition topic and runs the engine on them once with a
    /// handler that fails every key starting with <c>bad</c> (ArgumentException) or <c>slow</c>
    /// (TimeoutException), without retries; returns when all are handled or dead-lettered.
    /// </summary>
    private async Task<(string Topic, string Group)> DeadLetterAsync(IReadOnlyList<(string Key, string Value)> messages)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        kafka.Cluster.CreateTopic(topic + ".dlq", 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, messages.Select(m => ((string?)m.Key, m.Value)));
        var observer = new RecordingObserver();
        var handled = 0;
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, group), observer, (message, _) =>
        {
            Interlocked.Increment(ref handled);
            return message.Key.StartsWith("bad", StringComparison.Ordinal) ? throw new ArgumentException("bad input")
                : message.Key.StartsWith("slow", StringComparison.Ordinal) ? throw new TimeoutException("too slow")
                : ValueTask.CompletedTask;
        }, () => Volatile.Read(ref handled) >= messages.Count && observer.DeadLettered.Count == messages.Count(m => !m.Key.StartsWith("ok", StringComparison.Ordinal)), properties: Kip848);
        return (topic, group);
    }

    /// <summary>KIP-848 groups: the second run of a group joins in about 2 s, where the classic protocol can wait out the first member's session.</summary>
    private static readonly KafkaProperty[] Kip848 = [new("group.protocol", "consumer")];

    private static ProcessorOptions Options(string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(100),
        Retry = new RetryOptions { MaxAttempts = 1 },
        Ordering = OrderingMode.Partition,
    };

    private static List<string?> Keys(IEnumerable<string> jsonLines) =>
        [.. jsonLines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("key").GetString())];

    private static async Task<IReadOnlyList<string>> Lines(params string[] args)
    {
        var (exitCode, output, errors) = await Run(args);
        Assert.True(exitCode == 0, $"exit {exitCode}: {errors}");
        return output;
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, string Errors)> Run(params string[] args)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(args, output, errors).WaitAsync(Timeouts.Stop);
        return (exitCode, output.Lines, errors.ToString());
    }
}
