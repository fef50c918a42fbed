using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Verify;

/// <summary>
/// Reads the output and dead-letter topics from the beginning, on its own thread, without a
/// group: every record of a processed or dead-lettered id, duplicates included. Reads
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
        _consumer = new ConsumerBuilder<string?, string?>(config).SetLogHandler((_, _) => { }).Build();
        _consumer.Assign(Enumerable.Range(0, partitions)
            .SelectMany(p => new[] { new TopicPartitionOffset(output, p, Offset.Beginning), new TopicPartitionOffset(deadLetters, p, Offset.Beginning) }));
    }

    /// <summary>Ids processed or dead-lettered so far, each once.</summary>
    public int Settled => _seen.Count;

    public IEnumerable<long> Processed => _processed;

    /// <summary>Whether <paramref name="id"/> was processed or dead-lettered (as far as read so far).</summary>
    public bool IsSettled(long id) => _seen.ContainsKey(id);

    public IEnumerable<long> DeadLettered => _deadLettered.Keys;

    public DateTime LastRecordAt { get; private set; } = DateTime.UtcNow;

    public void Start()
    {
        _thread = new Thread(() => Read(_stop.Token)) { IsBackground = true, Name = "verify-reader" };
        _thread.Start();
    }

    /// <summary>
    /// Stops the background thread and reads until every partition is at its end as the broker has
    /// it now. Returns what kept the audit from being complete: partitions not read to their end
    /// within <paramref name="timeout"/>, and partitions whose first records the broker had already
    /// deleted (the embedded broker keeps ~5 MiB per partition). Empty when the audit saw everything.
    /// </summary>
    public IReadOnlyList<string> ReadToEnd(TimeSpan timeout)
    {
        _stop.Cancel();
        _thread?.Join();
        var problems = new List<string>();
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var partition in _consumer.Assignment)
        {
            var marks = _consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
            if (marks.Low > 0)
            {
                problems.Add($"{partition.Topic}[{partition.Partition.Value}] starts at offset {marks.Low}: the broker deleted earlier records before they were audited");
            }

            if (marks.High > marks.Low)
            {
                ends[partition] = marks.High;
            }
        }

        var deadline = DateTime.UtcNow + timeout;
        while (ends.Count > 0 && DateTime.UtcNow < deadline)
        {
            if (_consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                Record(result);
                if (ends.TryGetValue(result.TopicPartition, out var end) && result.Offset.Value + 1 >= end)
                {
                    ends.Remove(result.TopicPartition);
                }

                continue;
            }

            // Nothing came: a partition may end in records that are never handed out (transaction markers).
            foreach (var (partition, end) in ends.ToList())
            {
                if (_consumer.Position(partition).Value >= end)
                {
                    ends.Remove(partition);
                }
            }
        }

        problems.AddRange(ends.Select(e => $"{e.Key.Topic}[{e.Key.Partition.Value}] was not read to its end (offset {e.Value}) within {timeout}"));
        return problems;
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
