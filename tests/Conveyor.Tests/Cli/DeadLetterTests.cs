using System.Text;
using Confluent.Kafka;
using Conveyor.Cli.DeadLetters;
using Conveyor.DeadLetters;

namespace Conveyor.Tests.Cli;

public class DeadLetterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 2, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("90s", "2026-12-01T01:58:30Z")]
    [InlineData("30m", "2026-12-01T01:30:00Z")]
    [InlineData("2h", "2026-12-01T00:00:00Z")]
    [InlineData("1d", "2026-11-30T02:00:00Z")]
    [InlineData("00:10:00", "2026-12-01T01:50:00Z")]
    [InlineData("2026-11-30T12:00:00Z", "2026-11-30T12:00:00Z")]
    public void Since_takes_a_time_or_a_span_back_from_now(string text, string expected)
    {
        Assert.True(DeadLetterFilter.TryParseSince(text, Now, out var since));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), since);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("5x")]
    [InlineData("")]
    public void Since_refuses_what_is_neither(string text) => Assert.False(DeadLetterFilter.TryParseSince(text, Now, out _));

    [Fact]
    public void A_filtered_replay_takes_the_leading_run_of_each_partition_and_names_where_it_stops()
    {
        var letters = new[]
        {
            Letter(0, 0, "System.TimeoutException"), Letter(0, 1, "System.ArgumentException"), Letter(0, 2, "System.TimeoutException"),
            Letter(1, 5, "System.TimeoutException"), Letter(1, 6, "System.TimeoutException"),
        };

        var plan = ReplayPlan.Make(letters, DeadLetterFilter.All with { Exception = "timeout" }, limit: null);

        Assert.Equal([(0, 0L), (1, 5L), (1, 6L)], plan.Selected.Select(l => (l.Partition, l.Offset)));
        Assert.Equal([(0, 1L, 1)], plan.Blocked);
    }

    [Fact]
    public void The_limit_counts_across_partitions_in_order()
    {
        var letters = new[] { Letter(1, 0, "E"), Letter(0, 0, "E"), Letter(0, 1, "E") };

        var plan = ReplayPlan.Make(letters, DeadLetterFilter.All, limit: 2);

        Assert.Equal([(0, 0L), (0, 1L)], plan.Selected.Select(l => (l.Partition, l.Offset)));
        Assert.Empty(plan.Blocked);
    }

    [Fact]
    public void A_record_without_conveyor_headers_is_not_a_dead_letter()
    {
        var record = new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset("orders", 2, 7),
            Message = new Message<byte[]?, byte[]?> { Value = [1], Headers = [] },
        };

        var error = Assert.Throws<DeadLetterReadException>(() => DeadLetter.From(record));
        Assert.StartsWith("orders is not a dead-letter topic: the record at partition 2 offset 7 has no conveyor.source.topic header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_show_as_indented_json_or_a_hex_dump_and_keys_as_text_or_hex()
    {
        Assert.Equal(["{", "  \"a\": 1", "}"], Bytes.ValueLines(Encoding.UTF8.GetBytes("{\"a\":1}")));
        Assert.Equal(["00000000  68 69 00 ff                                      hi.."], Bytes.ValueLines([0x68, 0x69, 0x00, 0xff]));
        Assert.Equal("user-1", Bytes.ToText(Encoding.UTF8.GetBytes("user-1")));
        Assert.Equal("0x00ff", Bytes.ToText([0x00, 0xff]));
    }

    private static DeadLetter Letter(int partition, long offset, string exceptionType)
    {
        var headers = new Headers
        {
            { DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes("orders") },
            { DeadLetterHeaders.ExceptionType, Encoding.UTF8.GetBytes(exceptionType) },
        };
        return DeadLetter.From(new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset("orders.dlq", partition, offset),
            Message = new Message<byte[]?, byte[]?> { Value = [], Headers = headers },
        });
    }
}
