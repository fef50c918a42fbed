using Confluent.Kafka;

namespace Conveyor.Cli.Tutorial;

/// <summary>The rebalance, commit and error callbacks, printed as the tutorial prints them.</summary>
internal sealed partial class TutorialConsumer
{
    private void OnAssigned(IConsumer<string?, byte[]> consumer, List<TopicPartition> partitions)
    {
        _output.WriteLine(TutorialLines.PostRebalance);
        foreach (var partition in partitions)
        {
            _output.WriteLine(TutorialLines.Rebalanced(partition.Partition));
        }

        // With the cooperative protocol the list is only what was added: show the whole assignment.
        _output.WriteLine(TutorialLines.Assigned(consumer.Assignment.Union(partitions)));
    }

    private void OnRevoked(IConsumer<string?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        var revoked = partitions.Select(p => p.TopicPartition).ToList();
        var remaining = consumer.Assignment.Except(revoked).ToList();
        _output.WriteLine(remaining.Count == 0 ? TutorialLines.AllRevoked : TutorialLines.Revoked(revoked));
    }

    private void OnLost(IConsumer<string?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        _output.WriteLine(TutorialLines.Lost(partitions.Select(p => p.TopicPartition)));
    }

    private void OnCommitted(IConsumer<string?, byte[]> consumer, CommittedOffsets committed)
    {
        if (committed.Error.Code == ErrorCode.Local_NoOffset)
        {
            return; // an automatic commit with nothing new to commit
        }

        if (committed.Error.IsError)
        {
            _output.WriteLine(TutorialLines.CommitFailed(committed.Error));
            return;
        }

        foreach (var offset in committed.Offsets)
        {
            if (offset.Error.IsError)
            {
                _output.WriteLine(TutorialLines.CommitFailed(offset.Error));
                continue;
            }

            if (offset.Offset.Value < 0)
            {
                continue; // nothing consumed from this partition yet
            }

            RecordCommitted(offset.TopicPartitionOffset);
        }
    }

    private void RecordCommitted(TopicPartitionOffset committed)
    {
        _committed.AddOrUpdate(committed.Partition.Value, committed.Offset.Value, (_, old) => Math.Max(old, committed.Offset.Value));
        _output.WriteLine(TutorialLines.Committed(committed));
    }

    private void OnError(IConsumer<string?, byte[]> consumer, Error error)
    {
        _errors.WriteLine(TutorialLines.ClientError(error));
        if (error.IsFatal)
        {
            _fatal = error;
        }
    }

}
