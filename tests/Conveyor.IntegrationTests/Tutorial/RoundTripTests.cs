using System.Text.RegularExpressions;
using Conveyor.Cli.Tutorial;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Tutorial;

[Collection(ProcessingCollection.Name)]
public partial class RoundTripTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Produced_users_arrive_as_json_with_a_delivery_report_each()
    {
        var topic = kafka.CreateTopic(partitions: 6);
        var produced = await Produce(topic, count: 30);

        await using var consumer = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, Names.Unique("group"), MaxMessages: 30));
        Assert.Equal(ConsumeOutcome.Stopped, await consumer.Outcome.WaitAsync(Timeouts.Flow));

        // Every delivery report names a (key, partition, offset); every one of them is received once, as JSON.
        var reports = produced.Lines.Select(l => DeliveryReport().Match(l)).ToList();
        Assert.Equal(30, reports.Count);
        Assert.All(reports, r => Assert.True(r.Success));
        var expected = reports.Select(r =>
            $"received key {r.Groups["key"]} with value User {{ id: {r.Groups["key"].Value["user-".Length..]}, email: \"{r.Groups["key"]}@foobar.com\" }} in offset {r.Groups["offset"]} from partition {r.Groups["partition"]}");
        var received = consumer.Output.Lines.Where(l => l.StartsWith("received", StringComparison.Ordinal));
        Assert.Equal(expected.Order(), received.Order());
        Assert.Equal(6, reports.Select(r => r.Groups["partition"].Value).Distinct().Count());
    }

    [Fact]
    public async Task Manual_mode_prints_a_commit_line_after_each_message()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await Produce(topic, count: 5);

        await using var consumer = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, Names.Unique("group"), MaxMessages: 5));
        await consumer.Outcome.WaitAsync(Timeouts.Flow);

        var lines = consumer.Output.Lines.Where(l => l.StartsWith("received", StringComparison.Ordinal) || l.StartsWith("committed", StringComparison.Ordinal));
        var expected = Enumerable.Range(0, 5).SelectMany(offset => new[]
        {
            $"received key user-{offset + 1} with value User {{ id: {offset + 1}, email: \"user-{offset + 1}@foobar.com\" }} in offset {offset} from partition 0",
            $"committed offset Offset({offset + 1}) in partition 0",
        });
        Assert.Equal(expected, lines);
        Assert.Equal(5, consumer.Consumer.Committed[0]);
    }

    [Fact]
    public async Task Automatic_mode_reports_commits_through_the_commit_callback()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await Produce(topic, count: 3);

        var settings = kafka.Settings(new Conveyor.Configuration.KafkaProperty("auto.commit.interval.ms", "100"));
        await using var consumer = RunningConsumer.Start(settings, new ConsumeSettings(topic, Names.Unique("group"), CommitMode.Auto));

        // The periodic commit runs inside librdkafka and reaches us only through the callback.
        await consumer.Output.WaitForLine("committed offset Offset(3) in partition 0", Timeouts.Flow);
        Assert.Equal(3, consumer.Output.Lines.Count(l => l.StartsWith("received", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task After_a_restart_consumption_resumes_at_the_first_unprocessed_message()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await Produce(topic, count: 10);

        // Processing fails at once: the consumer stops and commits nothing.
        await using (var failing = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, group, FailRate: 1)))
        {
            Assert.Equal(ConsumeOutcome.ProcessingFailed, await failing.Outcome.WaitAsync(Timeouts.Flow));
            Assert.Contains(failing.Output.Lines, l => l.StartsWith("processing failed for the message with key user-1 in offset 0", StringComparison.Ordinal));
            Assert.DoesNotContain(failing.Output.Lines, l => l.StartsWith("committed", StringComparison.Ordinal));
        }

        // The failed message comes back first; four are processed and committed.
        await using (var second = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, group, MaxMessages: 4)))
        {
            await second.Outcome.WaitAsync(Timeouts.Flow);
            Assert.Equal(Enumerable.Range(0, 4).ToList(), ReceivedOffsets(second));
        }

        // After a restart nothing processed comes back and nothing unprocessed is skipped.
        await using var third = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, group, MaxMessages: 6));
        await third.Outcome.WaitAsync(Timeouts.Flow);
        Assert.Equal(Enumerable.Range(4, 6).ToList(), ReceivedOffsets(third));
    }

    [Fact]
    public async Task A_value_that_is_not_user_json_is_reported_with_partition_and_offset_and_consuming_goes_on()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        using (var producer = new TutorialProducer(kafka.Settings(), new LineRecorder(), new LineRecorder()))
        {
            var lines = "bad-1\tthis is not json\nbad-2\t{\"id\":1}\nuser-9\t{\"id\":9,\"email\":\"user-9@foobar.com\"}\n";
            using var input = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(lines));
            await producer.ProduceLinesAsync(topic, input, DataFormat.Text, DataFormat.Text, CancellationToken.None);
            Assert.Equal(3, producer.Delivered);
        }

        await using var consumer = RunningConsumer.Start(kafka.Settings(), new ConsumeSettings(topic, Names.Unique("group"), MaxMessages: 3));
        Assert.Equal(ConsumeOutcome.Stopped, await consumer.Outcome.WaitAsync(Timeouts.Flow));

        var output = consumer.Output.Lines;
        Assert.Contains(output, l => l.StartsWith("could not decode the value of the message with key bad-1 in offset 0 from partition 0", StringComparison.Ordinal)
            && l.EndsWith("raw value: this is not json", StringComparison.Ordinal));
        Assert.Contains(output, l => l.StartsWith("could not decode the value of the message with key bad-2 in offset 1 from partition 0", StringComparison.Ordinal));
        Assert.Contains("received key user-9 with value User { id: 9, email: \"user-9@foobar.com\" } in offset 2 from partition 0", output);
    }

    private async Task<LineRecorder> Produce(string topic, int count)
    {
        var output = new LineRecorder();
        using var producer = new TutorialProducer(kafka.Settings(), output, new LineRecorder());
        await producer.ProduceUsersAsync(topic, count, firstId: 1, ratePerSecond: 0, CancellationToken.None);
        Assert.Equal(count, producer.Delivered);
        return output;
    }

    private static List<int> ReceivedOffsets(RunningConsumer consumer) =>
        consumer.Output.Lines
            .Select(l => ReceivedOffset().Match(l))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();

    [GeneratedRegex("^produced message with key (?<key>user-\\d+) in offset (?<offset>\\d+) of partition (?<partition>\\d+)$")]
    private static partial Regex DeliveryReport();

    [GeneratedRegex("^received key .* in offset (\\d+) from partition \\d+$")]
    private static partial Regex ReceivedOffset();
}
