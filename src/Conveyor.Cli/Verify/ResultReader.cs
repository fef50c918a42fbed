using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Cli.Verify;

/// <summary>
/// Reads the output and dead-letter topics from the beginning, on its own thread, without a
/// group, to show progress while the workers run: every record of a processed or dead-lettered id,
/// duplicates included. The audit does not rely on it: it reads everything again (<see cref="AuditRead"/>). Reads
/// <c>read_committed</c> (librdkafka's default, set explicitly): records of aborted or open
/// transactions are not counted, as an exactly-once consumer of the output would not see them.
/// </summary>
internal sealed class ResultReader : IDisposable
{
    private readonly IConsumer<string?, string?> _consumer;
    private readonly string _output;
    private readonly ConcurrentQueue<long> _processed = new();
    private readonly ConcurrentDictionary<long, byte> _deadLettered = new();
    private readonly ConcurrentDictionary<long, byte> _seen = new();
    private long _lastRecordAt = Stopwatch.GetTimestamp(); // monotonic: how long the output has been quiet, not when
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;

    public ResultReader(ClientSettings client, string output, string deadLetters, int partitions)
    {
        _output = output;
        var config = new ConsumerConfig(client.Properties.ToDictionary())
        {
            GroupId = "conveyor-verify-reader",
            EnableAutoCommit = false,
            EnablePartitionEof = false,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        _consumer = new ConsumerBuilder<string?, string?>(config).WithoutLogLines().Build();
        _consumer.Assign(Enumerable.Range(0, partitions)
            .SelectMany(p => new[] { new TopicPartitionOffset(output, p, Offset.Beginning), new TopicPartitionOffset(deadLetters, p, Offset.Beginning) }));
    }

    /// <summary>Ids processed or dead-lettered so far, each once.</summary>
    public int Settled => _seen.Count;

    public IEnumerable<long> Processed => _processed;

    /// <summary>Whether <paramref name="id"/> was processed or dead-lettered (as far as read so far).</summary>
    public bool IsSettled(long id) => _seen.ContainsKey(id);

    public IEnumerable<long> DeadLettered => _deadLettered.Keys;

    /// <summary>How long since the last record was read (or since the reader was made), on the monotonic clock.</summary>
    public TimeSpan SinceLastRecord => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastRecordAt));

    public void Start()
    {
        _thread = new Thread(() => Read(_stop.Token)) { IsBackground = true, Name = "verify-reader" };
        _thread.Start();
    }

    /// <summary>Stops the background thread (the audit then reads everything again, see <see cref="AuditRead"/>).</summary>
    public void Stop()
    {
        _stop.Cancel();
        _thread?.Join();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _consumer.Dispose();
        _stop.Dispose();
    }

    private void Read(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
            {
                Record(result);
            }
        }
    }

    private void Record(ConsumeResult<string?, string?> result)
    {
        if (!long.TryParse(result.Message.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return;
        }

        if (result.Topic == _output)
        {
            _processed.Enqueue(id);
        }
        else
        {
            _deadLettered.TryAdd(id, 0);
        }

        _seen.TryAdd(id, 0);
        Volatile.Write(ref _lastRecordAt, Stopwatch.GetTimestamp());
    }
}
