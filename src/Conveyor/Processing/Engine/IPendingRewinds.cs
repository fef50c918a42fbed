using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Rewinds read while their partition had no owner, waiting for its next one (the fleet's control
/// topic, <c>Fleet/FleetMember</c>). The poll thread asks at each assignment; a partition with a
/// rewind pending is not owned until the fleet has read the control topic to its end (an owner
/// may have decided it meanwhile) and told <see cref="OperatorHolds.EndAwaiting"/>.
/// </summary>
internal interface IPendingRewinds
{
    /// <summary>Whether a rewind waits for <paramref name="partition"/>'s next owner, as far as the commands read so far say.</summary>
    bool Waits(TopicPartition partition);

    /// <summary>Asks the fleet to read the control topic to its end, apply what is still pending there, and end the wait (called on the poll thread; returns at once).</summary>
    void Settle(IReadOnlyList<TopicPartition> partitions);
}
