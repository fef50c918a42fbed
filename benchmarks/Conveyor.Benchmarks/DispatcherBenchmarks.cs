using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Benchmarks;

/// <summary>
/// The dispatcher's cost per message on its hot path, on one thread: a batch of 3,000 messages
/// (six partitions, 500 each, as fetches bring them, keys spread over 100 lanes per partition)
/// submitted, then each taken in its partition's turn, started and finished. No allocation per
/// message is expected: the work items are made once, and the queues reach their size in setup.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class DispatcherBenchmarks
{
    private const int Partitions = 6;
    private const int PerPartition = 500;
    private readonly List<WorkItem> _batch = new(Partitions * PerPartition);
    private readonly List<PartitionState> _partitions = [];
    private Dispatcher _dispatcher = new();

    [GlobalSetup]
    public void Setup()
    {
        NewPartitions();
        _dispatcher = new Dispatcher();
        SubmitTakeFinish(); // the queues and lanes grow to their size once
    }

    /// <summary>
    /// Each round tracks the same offsets again, in partitions of its own: the dispatcher owns
    /// their offset trackers, so nothing outside it can reset them.
    /// </summary>
    [IterationSetup]
    public void NewPartitions()
    {
        _partitions.Clear();
        _batch.Clear();
        for (var p = 0; p < Partitions; p++)
        {
            var partition = new PartitionState(new TopicPartition("bench", p));
            _partitions.Add(partition);
            for (var offset = 0; offset < PerPartition; offset++)
            {
                var key = BitConverter.GetBytes(offset % 100);
                var result = new ConsumeResult<byte[]?, byte[]?>
                {
                    TopicPartitionOffset = new TopicPartitionOffset(partition.TopicPartition, offset),
                    Message = new Message<byte[]?, byte[]?> { Key = key, Value = new byte[100] },
                };
                _batch.Add(new WorkItem(result, partition, LaneKey.For(OrderingMode.Key, partition, key)));
            }
        }

    }

    [Benchmark(OperationsPerInvoke = Partitions * PerPartition)]
    public int SubmitTakeFinish()
    {
        _dispatcher.Submit(_batch);
        var handled = 0;
        while (_dispatcher.TryTake(out var item))
        {
            _dispatcher.TryStart(item);
            _dispatcher.Finish(item, finished: true);
            handled++;
        }

        return handled;
    }
}
