using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>Doubles of <see cref="HoldStallMember"/>, the member of the stall tests of holds on the poll thread.</summary>
internal static class HoldStallDoubles
{
    /// <summary>Every partition has 500 messages to read and has read none.</summary>
    internal sealed class BehindPositions : IPartitionPositions
    {
        public long? Next(PartitionState partition, bool askBroker) => 0;

        public long? End(TopicPartition partition, bool askBroker) => 500;
    }

    /// <summary>Commits nothing: the hold's own commit (a revoke's, an operator release's) is not what these tests look at.</summary>
    internal sealed class NoCommits : ICommitStrategy
    {
        public void Start(DateTime now)
        {
        }

        public void Tick(DateTime now)
        {
        }

        public void Submitting(List<WorkItem> batch)
        {
        }

        public void Revoked(List<PartitionState> revoked)
        {
        }

        public void Lost(List<PartitionState> lost)
        {
        }

        public void Stopping(List<PartitionState> partitions)
        {
        }
    }
}
