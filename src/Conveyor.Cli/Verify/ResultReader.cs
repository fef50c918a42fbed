using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Verify;

/// <summary>
/// Reads the output and dead-letter topics from the beginning, on its own thread, without a
/// group: every record of a processed or dead-lettered id, duplicates included.
/// </summary>
internal sealed class ResultReader : IDisposable
{
    private readonly IConsumer<string?, string?> _consumer;
    private readonly string _output;
    private readonly ConcurrentQueue<long> _processed = new();
    private readonly ConcurrentDictionary<long, byte> _deadLettered = new();
    private readonly ConcurrentDictionary<long, byte> _seen = new();
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
        };
        _consumer = new ConsumerBuilder<string?, string?>(config).SetLogHandler((_, _) => { }).Build();
        _consumer.Assign(Enumerable.Range(0, partitions)
            .SelectMany(p => new[] { new TopicPartitionOffset(output, p, Offset.Beginning), new TopicPartitionOffset(deadLetters, p, Offset.Beginning) }));
    }

    /// <summary>Ids processed or dead-lettered so far, each once.</summary>
    public int Settled => _seen.Count;

    public IEnumerable<long> Processed => _processed;

    public IEnumerable<long> DeadLettered => _deadLettered.Keys;

    public DateTime LastRecordAt { get; private set; } = DateTime.UtcNow;

    public void Start()
    {
        _thread = new Thread(() => Read(_stop.Token)) { IsBackground = true, Name = "verify-reader" };
        _thread.Start();
    }

    /// <summary>Reads until every partition is at its end, as the broker has it now, then stops.</summary>
    public void ReadToEnd(TimeSpan timeout)
    {
        _stop.Cancel();
        _thread?.Join();
        var deadline = DateTime.UtcNow + timeout;
        foreach (var partition in _consumer.Assignment)
        {
            var end = _consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High;
            while (_consumer.Position(partition) < end && DateTime.UtcNow < deadline)
            {
                if (_consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
                {
                    Record(result);
                }
            }
        }
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
        LastRecordAt = DateTime.UtcNow;
    }
}
