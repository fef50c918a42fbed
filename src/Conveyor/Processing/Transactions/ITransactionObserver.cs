using Confluent.Kafka;

namespace Conveyor.Processing.Transactions;

/// <summary>A processor observer that also hears transaction outcomes of an exactly-once forwarder.</summary>
public interface ITransactionObserver : IProcessorObserver
{
    /// <summary>A transaction with these input offsets (next to read) was committed.</summary>
    void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
    }

    /// <summary>A transaction was aborted; its outputs are discarded and these partitions were rewound to their last committed offsets.</summary>
    void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo)
    {
    }
}
