using Confluent.Kafka;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Benchmarks.PollPath;

/// <summary>
/// A consumer without a broker, cheap enough that the process CPU of a run is the engine's: every
/// message is made before the run, and <c>Consume</c> hands them out a fetch at a time, one
/// partition's run of <see cref="FetchRun"/> messages after another (as librdkafka hands out what
/// each fetch brought), skipping paused partitions. The first <c>Consume</c> assigns every
/// partition; <c>Close</c> revokes them. Commits are counted, not kept. Poll thread only, like
/// the real one (the engine touches its consumer from the poll thread alone).
/// </summary>
internal sealed class InMemoryConsumer : ConsumerDouble, IOffsetsWithMetadata
{
    /// <summary>Messages of one partition handed out in a row, as one fetch of a real broker brings them.</summary>
    public const int FetchRun = 500;

    private readonly ConsumerCallbacks _callbacks;
    private readonly ConsumeResult<byte[]?, byte[]?>[][] _logs;
    private readonly TopicPartition[] _partitions;
    private readonly Dictionary<TopicPartition, int> _index = [];
    private readonly long[] _positions;
    private readonly bool[] _paused;
    private readonly ManualResetEventSlim _closed = new();
    private bool _assigned;
    private int _current;
    private int _run;

    public InMemoryConsumer(ConsumerCallbacks callbacks, ConsumeResult<byte[]?, byte[]?>[][] logs)
    {
        _callbacks = callbacks;
        _logs = logs;
        _partitions = [.. logs.Select(log => log[0].TopicPartition)];
        for (var i = 0; i < _partitions.Length; i++)
        {
            _index[_partitions[i]] = i;
        }

        _positions = new long[logs.Length];
        _paused = new bool[logs.Length];
    }

    /// <summary>Commit calls so far.</summary>
    public int Commits { get; private set; }

    /// <summary>Pause calls so far.</summary>
    public int Pauses { get; private set; }

    public override string Name => "in-memory";

    public override List<TopicPartition> Assignment => _assigned ? [.. _partitions] : [];

    public override ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout)
    {
        if (!_assigned)
        {
            _assigned = true;
            _callbacks.Assigned(this, [.. _partitions]);
        }

        for (var looked = 0; looked <= _partitions.Length; looked++)
        {
            var p = _current;
            if (!_paused[p] && _positions[p] < _logs[p].Length && _run < FetchRun)
            {
                _run++;
                return _logs[p][_positions[p]++];
            }

            _current = (_current + 1) % _partitions.Length;
            _run = 0;
        }

        // Nothing left: wait as a fetch would, without burning the CPU being measured.
        _closed.Wait(timeout);
        return null;
    }

    public override void Pause(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _paused[_index[partition]] = true;
            Pauses++;
        }
    }

    public override void Resume(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _paused[_index[partition]] = false;
        }
    }

    public override void Seek(TopicPartitionOffset tpo) => _positions[_index[tpo.TopicPartition]] = tpo.Offset.Value;

    public override Offset Position(TopicPartition partition) => new(_positions[_index[partition]]);

    public override WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition) => new(0, _logs[_index[topicPartition]].Length);

    public override void Commit(IEnumerable<TopicPartitionOffset> offsets) => Commits++;

    void IOffsetsWithMetadata.Commit(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets) => Commits++;

    IReadOnlyList<(TopicPartitionOffset Offset, string? Metadata, Error Error)> IOffsetsWithMetadata.Committed(IReadOnlyList<TopicPartition> partitions, TimeSpan timeout) =>
        [.. partitions.Select(p => (new TopicPartitionOffset(p, Offset.Unset), (string?)null, new Error(ErrorCode.NoError)))];

    public override List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout) =>
        [.. partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset))];

    public override void Close()
    {
        if (_assigned)
        {
            _callbacks.Revoked(this, [.. _partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset))]);
            _assigned = false;
        }

        _closed.Set();
    }

    public override void Dispose() => _closed.Dispose();

    /// <summary>Makes the consumer for the poll loop; the benchmark reads it back after the run.</summary>
    public sealed class Factory(ConsumeResult<byte[]?, byte[]?>[][] logs) : IConsumerFactory
    {
        public InMemoryConsumer? Made { get; private set; }

        public IConsumer<byte[]?, byte[]?> Create(ConsumerCallbacks callbacks) => Made = new InMemoryConsumer(callbacks, logs);

        public IOffsetsWithMetadata? OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer) => (InMemoryConsumer)consumer;
    }
}
