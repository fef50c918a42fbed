using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Conveyor.DeadLetters;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// Retry-topic schedules: the main topic's partitions come first, then one partition per retry
/// topic (<see cref="Topics"/> of them, numbered on after the main topic's so that a partition's
/// number is its place in the simulated cluster). Follows every message from its original
/// position through its retry records, and checks: each record goes to the next retry topic (the
/// dead-letter topic after the last) and carries its attempt and original position
/// (<c>retry-record</c>); at the end every original message was handled or dead-lettered, or waits
/// in a partition stopped on purpose (<c>retry-lost</c>).
/// </summary>
internal sealed class RetryLedger(SimWorld world)
{
    /// <summary>How many retry topics a retry-topic schedule has (delays 1 s and 2 s).</summary>
    public const int Topics = 2;

    public static readonly RetryTopicOptions Options = new() { Delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)] };

    private readonly HashSet<(int Partition, long Offset)> _resolved = [];

    /// <summary>Whether retry-topic partitions get their turns.</summary>
    public RetryTurns Turns { get; } = new(world);

    /// <summary>The topic of cluster partition <paramref name="partition"/> on a schedule with <paramref name="main"/> main-topic partitions.</summary>
    public static string TopicOf(int partition, int main) => partition < main ? SimCluster.Topic : Options.TopicFor(SimCluster.Topic, partition - main + 1);

    /// <summary>Where the record being written came from (the publisher's source headers).</summary>
    public static (int Partition, long Offset) Source(Message<byte[]?, byte[]?> record) =>
        (int.Parse(Text(record.Headers, DeadLetterHeaders.SourcePartition)!, CultureInfo.InvariantCulture),
         long.Parse(Text(record.Headers, DeadLetterHeaders.SourceOffset)!, CultureInfo.InvariantCulture));

    /// <summary>A message's original position and how many retry topics it went through (0: it is the original).</summary>
    public (int Partition, long Offset, int Hop) Origin(int partition, long offset)
    {
        var main = Main;
        if (partition < main)
        {
            return (partition, offset, 0);
        }

        var headers = world.Cluster.Logs[partition][(int)offset].Headers;
        return (int.Parse(Text(headers, RetryTopicHeaders.OriginalPartition)!, CultureInfo.InvariantCulture),
                long.Parse(Text(headers, RetryTopicHeaders.OriginalOffset)!, CultureInfo.InvariantCulture),
                partition - main + 1);
    }

    /// <summary>A handler call of the message at this position succeeded: its original is resolved.</summary>
    public void Handled(int partition, long offset)
    {
        var (p, o, _) = Origin(partition, offset);
        _resolved.Add((p, o));
    }

    /// <summary>The modelled other member handled [<paramref name="from"/>, <paramref name="to"/>) of the partition (it is modelled as handling every message).</summary>
    public void HandledElsewhere(int partition, long from, long to)
    {
        if (world.Pipelines.Kind == Pipeline.RetryTopics)
        {
            for (var offset = from; offset < to; offset++)
            {
                Handled(partition, offset);
            }
        }
    }

    /// <summary>
    /// A record is handed to the producer: the retry-topic partition it is for (null: the
    /// dead-letter topic); a violation when it goes to the wrong topic or does not carry its
    /// attempt and original position.
    /// </summary>
    public int? Writing(string topic, Message<byte[]?, byte[]?> record)
    {
        var (source, sourceOffset) = Source(record);
        var (p, o, hop) = Origin(source, sourceOffset);
        if (hop == Topics)
        {
            if (topic != world.Settings.DeadLetterTopicFor(SimCluster.Topic))
            {
                world.Checker.Fail("retry-record", $"p{source}@{sourceOffset} failed its last retry topic but was written to {topic}, not the dead-letter topic");
            }

            return null;
        }

        var expected = Options.TopicFor(SimCluster.Topic, hop + 1);
        var attempt = Text(record.Headers, RetryTopicHeaders.Attempt);
        var original = $"{Text(record.Headers, RetryTopicHeaders.OriginalTopic)}[{Text(record.Headers, RetryTopicHeaders.OriginalPartition)}]@{Text(record.Headers, RetryTopicHeaders.OriginalOffset)}";
        if (topic != expected || attempt != (hop + 1).ToString(CultureInfo.InvariantCulture) || original != $"{SimCluster.Topic}[{p}]@{o}")
        {
            world.Checker.Fail("retry-record", $"p{source}@{sourceOffset} (originally p{p}@{o}, retry {hop}) was written to {topic} as attempt {attempt} of {original}; expected {expected}, attempt {hop + 1} of {SimCluster.Topic}[{p}]@{o}");
        }

        return Main + hop;
    }

    /// <summary>A write was acknowledged: a retry record is appended to its partition (its offset returned); a dead letter resolves its original.</summary>
    public long Stored(int? target, int source, long sourceOffset, Message<byte[]?, byte[]?> record)
    {
        if (target is not { } partition)
        {
            var (p, o, _) = Origin(source, sourceOffset);
            _resolved.Add((p, o));
            return sourceOffset;
        }

        var log = world.Cluster.Logs[partition];
        log.Add(record);
        return log.Count - 1;
    }

    /// <summary>At the end: every original message was handled or dead-lettered, unless the message that carries it now waits in a partition stopped on purpose.</summary>
    public void FinalCheck()
    {
        var unresolved = new HashSet<(int, long)>();
        for (var p = 0; p < Main; p++)
        {
            for (long o = 0; o < world.Cluster.End(p); o++)
            {
                if (!_resolved.Contains((p, o)))
                {
                    unresolved.Add((p, o));
                }
            }
        }

        // A message whose latest record sits in a stopped partition (its write failed: stopped on purpose) is held there, not lost.
        for (var p = 0; p < world.Cluster.Partitions.Length; p++)
        {
            if (world.Checker.IsStopped(p))
            {
                for (long o = 0; o < world.Cluster.End(p); o++)
                {
                    var (op, oo, _) = Origin(p, o);
                    unresolved.Remove((op, oo));
                }
            }
        }

        if (unresolved.Count > 0)
        {
            var (lp, lo) = unresolved.Min();
            world.Checker.Fail("retry-lost", $"{unresolved.Count} messages were neither handled nor dead-lettered, e.g. p{lp}@{lo}, and no retry record of theirs waits anywhere");
        }
    }

    private int Main => world.Cluster.Schedule.Partitions - world.Cluster.Schedule.RetryTopicPartitions;

    private static string? Text(Headers? headers, string key) =>
        headers is not null && headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
