using System.Globalization;
using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>Operator rewinds: to offsets, or shifted from the committed offsets.</summary>
internal sealed partial class OperatorHolds
{
    /// <summary>
    /// Moves those of <paramref name="targets"/> this member owns or holds to their offsets; returns
    /// the ones it moved. A held partition stays held: it starts from the new offset when resumed.
    /// </summary>
    public RewindResult Rewind(IReadOnlyList<TopicPartitionOffset> targets)
    {
        var offsets = targets.ToDictionary(t => t.TopicPartition, t => t.Offset.Value);
        return Move([.. offsets.Keys], p => (offsets[p], null));
    }

    /// <summary>
    /// Moves those of <paramref name="named"/> this member owns or holds by <paramref name="shift"/>
    /// messages from the committed offset each has once released (the position now, with
    /// everything finished there committed). A partition without a committed offset, or one the
    /// shift would take outside the offsets the partition keeps, refuses the whole command here:
    /// none of this member's partitions move, as a typo should not move some of them.
    /// </summary>
    public RewindResult Shift(IReadOnlyList<TopicPartition> named, long shift) => Move(named, partition =>
    {
        if (CommittedOffset(partition) is not { } from)
        {
            return (null, $"{Describe(partition)} has no committed offset to shift from");
        }

        var to = from + shift;
        var marks = consumer.QueryWatermarkOffsets(partition, LookupTimeout);
        return to >= marks.Low.Value && to <= marks.High.Value
            ? (to, null)
            : (null, string.Create(CultureInfo.InvariantCulture, $"shift {shift} takes {Describe(partition)} from {from} to {to}, outside its offsets {marks.Low.Value} (earliest) to {marks.High.Value} (end)"));
    });

    /// <summary>Moves those of <paramref name="named"/> this member owns or holds, holding the poll thread meanwhile (<see cref="Holding{T}(Func{T})"/>).</summary>
    private RewindResult Move(IReadOnlyList<TopicPartition> named, Func<TopicPartition, (long? To, string? Refused)> where)
    {
        var owned = partitions.Owned(named);
        var candidates = named.Where(p => _held.Contains(p) || _awaiting.Contains(p) || owned.Any(o => o.TopicPartition == p)).ToList();
        return candidates.Count == 0 ? RewindResult.None : Holding(() => Move(owned, candidates, where));
    }

    /// <summary>
    /// The rewind itself: releases the <paramref name="owned"/> ones, asks <paramref name="where"/>
    /// for each candidate's new offset (or why not), commits them, and takes the owned ones back from there.
    /// </summary>
    private RewindResult Move(List<PartitionState> owned, List<TopicPartition> candidates, Func<TopicPartition, (long? To, string? Refused)> where)
    {
        Release(owned);
        List<TopicPartitionOffset> moved = [];
        List<string> refused = [];
        foreach (var partition in candidates)
        {
            try
            {
                var (to, why) = where(partition);
                if (to is { } offset)
                {
                    moved.Add(new TopicPartitionOffset(partition, offset));
                }
                else
                {
                    refused.Add(why!);
                }
            }
            catch (KafkaException e)
            {
                refused.Add($"{Describe(partition)}'s offsets could not be read ({e.Error.Reason})");
            }
        }

        if (refused.Count > 0)
        {
            TakeBack([.. owned.Select(o => new TopicPartitionOffset(o.TopicPartition, Committed(o.TopicPartition)))]);
            return new RewindResult([], refused, candidates);
        }

        try
        {
            // After the release's own commit of the old position, which it waited for: the new
            // offset is the last commit of this generation, whatever was finished before.
            consumer.Commit(moved);
            observer.OnCommitted(moved);
        }
        catch (KafkaException e)
        {
            observer.OnError(new Error(e.Error.Code, $"The rewind of {Describe(moved)} was not committed ({e.Error.Reason}); the partitions continue from their old position."));
            TakeBack([.. owned.Select(o => new TopicPartitionOffset(o.TopicPartition, Committed(o.TopicPartition)))]);
            return new RewindResult([], [$"the new offsets were not committed ({e.Error.Reason})"], []);
        }

        // A held or awaiting partition starts from the new offset when taken back; what this member finished there must not be skipped then.
        completions.Restore([.. moved.Select(m => m.TopicPartition).Where(p => _held.Contains(p) || _awaiting.Contains(p))]);
        TakeBack([.. moved.Where(m => owned.Any(o => o.TopicPartition == m.TopicPartition))], rewound: true);
        return new RewindResult(moved, [], candidates);
    }

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) => Positions.Of(offsets);

    private static string Describe(TopicPartition partition) => $"{partition.Topic}[{partition.Partition.Value}]";
}
