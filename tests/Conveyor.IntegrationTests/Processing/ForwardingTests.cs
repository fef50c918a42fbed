using System.Globalization;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Consume, transform, produce on the embedded broker: nothing lost, no offset committed past unacknowledged outputs.</summary>
[Collection(ProcessingCollection.Name)]
public class ForwardingTests(EmbeddedKafkaFixture kafka)
{
    private static readonly RetryOptions FastRetry = new() { MaxAttempts = 20, InitialDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task Forwarding_to_two_topics_loses_nothing_and_never_commits_past_unacknowledged_outputs_when_produce_requests_fail()
    {
        const int count = 600;
        var input = kafka.CreateTopic(partitions: 4);
        var upper = kafka.CreateTopic(partitions: 2);
        var copy = kafka.CreateTopic(partitions: 3);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 31}", $"m{i}")));

        // From here on, produce requests (only the forwarder's) fail now and then: a non-retriable
        // error fails the deliveries of a whole batch, retriable ones are retried by the producer.
        kafka.Cluster.InjectRequestErrors(KafkaApiKey.Produce,
            ErrorCode.MsgSizeTooLarge, ErrorCode.NotEnoughReplicas, ErrorCode.MsgSizeTooLarge, ErrorCode.NotLeaderForPartition, ErrorCode.MsgSizeTooLarge);
        var recorder = new ForwardingRecorder();
        try
        {
            await RunUntil(Options(input, group) with { Retry = FastRetry }, recorder, (message, _) =>
                ValueTask.FromResult<IReadOnlyList<OutputRecord>>(
                [
                    OutputRecord.Utf8(upper, message.Key, message.Value.ToUpperInvariant()),
                    OutputRecord.Utf8(copy, message.Key, message.Value),
                ]), () => recorder.CommittedSum >= count);
        }
        finally
        {
            kafka.Cluster.ClearRequestErrors(KafkaApiKey.Produce);
        }

        Assert.Empty(recorder.Violations);
        Assert.NotEmpty(recorder.Retries); // the injected failures did fail deliveries
        Assert.Equal(count, kafka.Committed(group, input, 4).Values.Sum());
        var expected = Enumerable.Range(0, count).Select(i => $"m{i}").ToHashSet();
        // Retried messages wrote their outputs again: read until every input is there (or the timeout says it is not).
        var copied = ReadValues(copy, expected, v => v);
        var uppered = ReadValues(upper, expected, v => v.ToLowerInvariant());
        Assert.True(expected.SetEquals(copied), $"missing from {copy}: {string.Join(", ", expected.Except(copied).Take(10))}");
        Assert.True(expected.SetEquals(uppered), $"missing from {upper}: {string.Join(", ", expected.Except(uppered).Take(10))}");
    }

    [Fact]
    public async Task An_output_that_is_never_acknowledged_holds_the_commit_at_its_input_while_later_messages_are_forwarded()
    {
        var input = kafka.CreateTopic(partitions: 1);
        var output = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, 10).Select(i => ((string?)$"key-{i}", Id(i))));

        // Message 5's output is larger than message.max.bytes (1 MB): the producer rejects it every time.
        var tooLarge = new byte[1_200_000];
        var recorder = new ForwardingRecorder();
        var partition = new TopicPartition(input, 0);
        var options = Options(input, group) with { OnFailure = FailureAction.StopPartition, Retry = FastRetry with { MaxAttempts = 2 }, Ordering = OrderingMode.Unordered };
        await RunUntil(options, recorder, (message, _) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>(message.Value == "5"
                ? [OutputRecord.Utf8(output, message.Key, "small"), new OutputRecord(output, null, tooLarge)]
                : [OutputRecord.Utf8(output, message.Key, message.Value)]),
            () => recorder.Stopped.Count == 1 && Enumerable.Range(0, 5).All(o => recorder.Forwarded.ContainsKey(new TopicPartitionOffset(partition, o))));

        Assert.Equal(5, Assert.Single(recorder.Stopped).Offset.Value);
        Assert.Equal(5, kafka.Committed(group, input, 1)[0]);
        Assert.Empty(recorder.Violations);
        Assert.DoesNotContain(recorder.Forwarded.Keys, k => k.Offset.Value == 5);
    }

    [Fact]
    public async Task Each_input_may_emit_any_number_of_outputs_including_none()
    {
        var input = kafka.CreateTopic(partitions: 2);
        var output = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, 30).Select(i => ((string?)$"key-{i}", Id(i))));

        var recorder = new ForwardingRecorder();
        await RunUntil(Options(input, group), recorder, (message, _) =>
        {
            var n = int.Parse(message.Value, CultureInfo.InvariantCulture) % 3; // 0, 1 or 2 outputs
            return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([.. Enumerable.Range(0, n).Select(k => OutputRecord.Utf8(output, message.Key, $"{message.Value}.{k}"))]);
        }, () => recorder.CommittedSum >= 30);

        var written = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, 30, Timeouts.Flow).Select(r => r.Message.Value!).ToHashSet();
        Assert.Equal(30, written.Count); // 10 × 0 + 10 × 1 + 10 × 2
        Assert.Contains("2.1", written);
        Assert.DoesNotContain("3.0", written);
        Assert.Empty(recorder.Violations);
    }

    private static ProcessorOptions Options(string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(100),
    };

    private Task RunUntil(ProcessorOptions options, ForwardingRecorder recorder, ForwardingHandler<string, string> handler, Func<bool> done) =>
        ProcessorRun.ForwardUntilAsync<IForwardingObserver>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options, recorder, handler, done);

    private HashSet<string> ReadValues(string topic, HashSet<string> expected, Func<string, string> normalize)
    {
        var seen = new HashSet<string>();
        KafkaTestClient.ReadUntil(kafka.Cluster.BootstrapServers, topic, read =>
        {
            if (read.Count > 0)
            {
                seen.Add(normalize(read[^1].Message.Value!));
            }

            return seen.IsSupersetOf(expected);
        }, Timeouts.Flow);
        return seen;
    }

    private static string Id(int i) => i.ToString(CultureInfo.InvariantCulture);
}
