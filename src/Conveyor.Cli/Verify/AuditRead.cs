using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Cli.Verify;

/// <summary>
/// The audit's own read of the output and dead-letter topics, once the workers have stopped: a
/// fresh consumer reads every partition from its first offset to its end (read_committed), with
/// <c>auto.offset.reset=error</c>, so that a reset, a deleted record or a partition not read to its
/// end is reported as a problem instead of silently skipped. The live reader only shows progress;
/// what is lost is judged from this read.
/// </summary>
internal static class AuditRead
{
    /// <summary>Every id found in the output (one entry per record) and in the dead-letter topic, and what kept the read from being complete.</summary>
    public static (List<long> Processed, HashSet<long> DeadLettered, List<string> Problems) Read(
        ClientSettings client, string output, string deadLetters, int partitions, TimeSpan timeout)
    {
        var config = new ConsumerConfig(client.Properties.ToDictionary())
        {
            GroupId = "conveyor-verify-audit",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            IsolationLevel = IsolationLevel.ReadCommitted,
            AutoOffsetReset = AutoOffsetReset.Error,
        };
        using var consumer = new ConsumerBuilder<string?, string?>(config).WithoutLogLines().Build();
        var all = Enumerable.Range(0, partitions).SelectMany(p => new[] { new TopicPartition(output, p), new TopicPartition(deadLetters, p) }).ToList();
        List<long> processed = [];
        HashSet<long> deadLettered = [];
        List<string> problems = [];
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var partition in all)
        {
            var marks = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
            if (marks.Low > 0)
            {
                problems.Add($"{partition.Topic}[{partition.Partition.Value}] starts at offset {marks.Low}: the broker deleted earlier records before they were audited");
            }

            if (marks.High > 0)
            {
                ends[partition] = marks.High;
            }
        }

        consumer.Assign(ends.Keys.Select(p => new TopicPartitionOffset(p, 0)));
        var deadline = Deadline.In(timeout);
        while (ends.Count > 0 && !deadline.Passed)
        {
            ConsumeResult<string?, string?>? result;
            try
            {
                result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e)
            {
                problems.Add($"{e.ConsumerRecord?.TopicPartition.ToString() ?? "a partition"}: {e.Error.Reason}");
                break;
            }

            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                if (result.Offset.Value >= ends.GetValueOrDefault(result.TopicPartition))
                {
                    ends.Remove(result.TopicPartition);
                }

                continue;
            }

            if (long.TryParse(result.Message.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                if (result.Topic == output)
                {
                    processed.Add(id);
                }
                else
                {
                    deadLettered.Add(id);
                }
            }
        }

        problems.AddRange(ends.Select(e => $"{e.Key.Topic}[{e.Key.Partition.Value}] was not read to its end (offset {e.Value}) within {timeout}"));
        return (processed, deadLettered, problems);
    }
}
