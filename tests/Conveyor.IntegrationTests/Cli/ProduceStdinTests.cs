using Confluent.Kafka;
using Conveyor.IntegrationTests.Support;

namespace Conveyor.IntegrationTests.Cli;

/// <summary><c>conveyor produce --stdin</c> as a real process: every line accounted for, any bytes sendable.</summary>
[Collection(CliCollection.Name)]
public class ProduceStdinTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task An_oversize_line_is_reported_with_its_number_and_the_rest_are_still_sent()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await using var process = CliProcess.Start("produce", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--stdin");
        await process.Input.WriteAsync($"a\tone\nbig\t{new string('x', 2_000_000)}\n\nc\tthree\n");
        process.Input.Close();

        Assert.Equal(1, await process.WaitForExitAsync(Timeouts.Flow));
        Assert.Contains("failed to produce line 2 with key big - Broker: Message size too large", process.Output.Lines);
        Assert.Equal(2, process.Output.Lines.Count(l => l.StartsWith("produced message with key ", StringComparison.Ordinal)));
        Assert.Contains("line 3: empty, not sent (a message needs at least a value)", process.Errors.Lines);
        Assert.Equal("error: 4 lines: 2 delivered, 1 failed (0 not in the format given), 1 empty skipped; see the lines above.", process.Errors.Lines[^1]);
        Assert.Equal(["one", "three"], KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, topic, 2, Timeouts.Flow).Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Any_bytes_can_be_sent_as_text_hex_or_base64()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await using (var text = CliProcess.Start("produce", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--stdin"))
        {
            await text.Input.BaseStream.WriteAsync(new byte[] { (byte)'k', 0xFF, (byte)'\t', 0xC3, 0x28, 0x00, (byte)'\n' });
            text.Input.Close();
            Assert.Equal(0, await text.WaitForExitAsync(Timeouts.Flow));
        }

        await using (var encoded = CliProcess.Start(
            "produce", "-b", kafka.Cluster.BootstrapServers, "--topic", topic, "--stdin", "--key-format", "hex", "--value-format", "base64"))
        {
            await encoded.Input.WriteAsync("00ff0a\tAAEKCf8=\nnot-hex\tAA==\n");
            encoded.Input.Close();
            Assert.Equal(1, await encoded.WaitForExitAsync(Timeouts.Flow));
            Assert.StartsWith("line 2: the key is not hex (", encoded.Errors.Lines[0], StringComparison.Ordinal);
            Assert.Equal("error: 2 lines: 1 delivered, 1 failed (1 not in the format given), 0 empty skipped; see the lines above.", encoded.Errors.Lines[^1]);
        }

        var records = ReadBytes(topic, 2);
        Assert.Equal(new byte[] { (byte)'k', 0xFF }, records[0].Key);
        Assert.Equal(new byte[] { 0xC3, 0x28, 0x00 }, records[0].Value);
        Assert.Equal(new byte[] { 0x00, 0xFF, 0x0A }, records[1].Key);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x0A, 0x09, 0xFF }, records[1].Value);
    }

    private List<Message<byte[], byte[]>> ReadBytes(string topic, int count)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = kafka.Cluster.BootstrapServers,
            GroupId = Names.Unique("reader"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var results = new List<Message<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + Timeouts.Flow;
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                results.Add(result.Message);
            }
        }

        consumer.Close();
        return results;
    }
}
