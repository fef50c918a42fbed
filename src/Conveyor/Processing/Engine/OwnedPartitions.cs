using System.Diagnostics.CodeAnalysis;
using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The partitions this member owns now, as the poll thread knows them: added at an assignment,
/// forgotten when revoked, lost, or rewound by an aborted transaction. Forgetting closes a
/// partition in the dispatcher, so work that finishes after it no longer counts. Poll thread only.
/// </summary>
internal sealed class OwnedPartitions(Dispatcher dispatcher, StallWatchdog watchdog)
{
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = new(TopicPartitionKey.Instance);

    /// <summary>The owned partitions (a struct enumerator: the loop asks several times a turn).</summary>
    public Dictionary<TopicPartition, PartitionState>.ValueCollection Values => _partitions.Values;

    public bool TryGetValue(TopicPartition partition, [MaybeNullWhen(false)] out PartitionState state) => _partitions.TryGetValue(partition, out state);

    /// <summary>As <see cref="TryGetValue(TopicPartition, out PartitionState)"/>, by topic and number: the feeder asks for every message, and makes no <see cref="TopicPartition"/> for it.</summary>
    public bool TryGetValue(string topic, int partition, [MaybeNullWhen(false)] out PartitionState state) =>
        _partitions.GetAlternateLookup<(string, int)>().TryGetValue((topic, partition), out state);

    /// <summary>
    /// Owns <paramref name="state"/>'s partition from now on, in place of any earlier state of it
    /// (an assignment, an operator's resume or rewind, an aborted transaction's rewind): the stall
    /// watchdog counts its idle time from now, in its own time.
    /// </summary>
    public void Add(PartitionState state)
    {
        state.Poll.IdleSince = watchdog.Now;
        _partitions[state.TopicPartition] = state;
    }

    /// <summary>The states of those of <paramref name="partitions"/> that are owned.</summary>
    public List<PartitionState> Owned(IEnumerable<TopicPartition> partitions) =>
        [.. partitions.Select(p => _partitions.GetValueOrDefault(p)).OfType<PartitionState>()];

    /// <summary>The partitions are gone: closed in the dispatcher, and no longer watched for stalls.</summary>
    public void Forget(List<PartitionState> states)
    {
        dispatcher.Close(states);
        foreach (var state in states)
        {
            watchdog.Forget(state);
            _partitions.Remove(state.TopicPartition);
        }
    }
}
