using Confluent.Kafka;
using Conveyor.Cli.Tutorial;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Cli.Pipe;

/// <summary>Prints each forwarded message, and rebalances, commits, retries and failures as the consumer does.</summary>
internal sealed class PipeObserver(ConsoleObserver console, TextWriter output) : IForwardingObserver
{
    private int _forwarded;

    /// <summary>Called after every forwarded message.</summary>
    public event Action? MessageForwarded;

    public ConsoleObserver Console => console;

    public int Forwarded => Volatile.Read(ref _forwarded);

    public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
        output.WriteLine(PipeLines.Forwarded(input, outputs));
        Interlocked.Increment(ref _forwarded);
        MessageForwarded?.Invoke();
    }

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => console.OnPartitionsAssigned(partitions);

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => console.OnPartitionsRevoked(partitions);

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => console.OnPartitionsLost(partitions);

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => console.OnCommitted(offsets);

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => console.OnCommitFailed(offsets, error);

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) =>
        console.OnRetrying(message, failedAttempt, exception, delay);

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        console.OnDeadLettered(message, deadLetter, exception);

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => console.OnPartitionStopped(message, exception);

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => console.OnBackPressure(partitions, paused);

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) => console.OnPartitionStalled(position, endOffset, idle);

    public void OnPartitionStallEnded(TopicPartition partition) => console.OnPartitionStallEnded(partition);

    public void OnError(Error error) => console.OnError(error);

    public void OnClientLog(LogMessage message) => console.OnClientLog(message);
}
