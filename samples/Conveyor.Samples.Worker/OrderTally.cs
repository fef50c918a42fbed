using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Samples.Worker;

/// <summary>Counts orders that are done with (handled or dead-lettered), so the demo can stop by itself.</summary>
public sealed class OrderTally : IProcessorObserver
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _expected = int.MaxValue;
    private int _settled;

    /// <summary>Completes once every expected order is settled.</summary>
    public Task Done => _done.Task;

    public void Expect(int count)
    {
        Volatile.Write(ref _expected, count);
        Check();
    }

    public void Settled()
    {
        Interlocked.Increment(ref _settled);
        Check();
    }

    void IProcessorObserver.OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) => Settled();

    private void Check()
    {
        if (Volatile.Read(ref _settled) >= Volatile.Read(ref _expected))
        {
            _done.TrySetResult();
        }
    }
}
