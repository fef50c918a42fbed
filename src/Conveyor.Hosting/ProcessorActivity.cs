using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>
/// What a hosted processor has done, as the dashboard shows it: messages handled (and their rate),
/// retries, dead letters, handler calls in flight per partition, partitions paused by back-pressure
/// and partitions stopped with the reason. Fed by the processor's observer events and by the
/// hosting service around each handler call; read as a <see cref="ActivitySnapshot"/>.
/// </summary>
internal sealed class ProcessorActivity(TimeProvider time) : IProcessorObserver
{
    /// <summary>The width of one point of the rate chart.</summary>
    public const int BucketSeconds = 10;

    private readonly RateHistory _rate = new(time);
    private readonly ConcurrentDictionary<TopicPartition, int> _inFlight = new();
    private readonly ConcurrentDictionary<TopicPartition, bool> _paused = new();
    private readonly ConcurrentDictionary<TopicPartition, StoppedAt> _stopped = new();
    private long _handled;
    private long _retries;
    private long _deadLettered;

    /// <summary>A handler call starts.</summary>
    public void Started(string topic, int partition) => _inFlight.AddOrUpdate(new TopicPartition(topic, partition), 1, (_, n) => n + 1);

    /// <summary>A handler call ends; <paramref name="succeeded"/> counts it as handled.</summary>
    public void Finished(string topic, int partition, bool succeeded)
    {
        _inFlight.AddOrUpdate(new TopicPartition(topic, partition), 0, (_, n) => Math.Max(0, n - 1));
        if (succeeded)
        {
            Interlocked.Increment(ref _handled);
            _rate.Add();
        }
    }

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => Forget(partitions);

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => Forget(partitions);

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => Forget(partitions);

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Interlocked.Increment(ref _retries);

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) => Interlocked.Increment(ref _deadLettered);

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) =>
        _stopped[message.TopicPartition] = new StoppedAt(message.Offset.Value, $"{exception.GetType().Name}: {exception.Message}");

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
    {
        foreach (var partition in partitions)
        {
            if (paused)
            {
                _paused[partition] = true;
            }
            else
            {
                _paused.TryRemove(partition, out _);
            }
        }
    }

    public ActivitySnapshot Snapshot() => new(
        Interlocked.Read(ref _handled),
        Interlocked.Read(ref _retries),
        Interlocked.Read(ref _deadLettered),
        _rate.Rates(RateHistory.Seconds / BucketSeconds, BucketSeconds),
        _inFlight.Where(p => p.Value > 0).ToDictionary(p => p.Key, p => p.Value),
        [.. _paused.Keys],
        new Dictionary<TopicPartition, StoppedAt>(_stopped));

    private void Forget(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _paused.TryRemove(partition, out _);
            _stopped.TryRemove(partition, out _);
        }
    }
}

/// <summary>Where a partition stopped and why.</summary>
/// <param name="Offset">The offset of the message that failed for good.</param>
/// <param name="Reason">The exception's type and message.</param>
internal sealed record StoppedAt(long Offset, string Reason);

/// <summary>A processor's activity at one moment.</summary>
/// <param name="Handled">Messages handled successfully since the start.</param>
/// <param name="Retries">Failed attempts that were retried.</param>
/// <param name="DeadLettered">Messages sent to a dead-letter topic.</param>
/// <param name="Rates">Messages per second in 10-second buckets over the last 5 minutes, oldest first.</param>
/// <param name="InFlight">Handler calls running now, per partition.</param>
/// <param name="Paused">Partitions paused by back-pressure.</param>
/// <param name="Stopped">Partitions stopped at a message that failed for good.</param>
internal sealed record ActivitySnapshot(
    long Handled,
    long Retries,
    long DeadLettered,
    IReadOnlyList<double> Rates,
    IReadOnlyDictionary<TopicPartition, int> InFlight,
    IReadOnlyList<TopicPartition> Paused,
    IReadOnlyDictionary<TopicPartition, StoppedAt> Stopped)
{
    public int TotalInFlight => InFlight.Values.Sum();
}
