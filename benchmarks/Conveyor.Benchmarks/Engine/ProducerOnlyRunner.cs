using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// The forwarder's ceiling: the output sender a forwarder writes through (Conveyor's native
/// producer, or Confluent.Kafka's with <c>CONVEYOR_FORWARD_PRODUCER=confluent</c>), made the same
/// way with the same settings, fed pairs of records by one thread as fast as the forwarder's
/// default window of unacknowledged outputs lets it. No consumer, no engine, no delivery state per input.
/// </summary>
internal sealed class ProducerOnlyRunner
{
    private readonly EmbeddedKafkaCluster _cluster;
    private readonly KafkaClientProperties _client;

    public ProducerOnlyRunner(EmbeddedKafkaCluster cluster, KafkaClientProperties client)
    {
        _cluster = cluster;
        _client = client;
    }

    /// <summary>
    /// Writes <paramref name="pairs"/> pairs of <paramref name="valueBytes"/>-byte records (1,000
    /// keys, partition by partition as the backlog) to new topics <paramref name="outputPrefix"/>-a
    /// and -b. Measured in pairs acknowledged per second, from the first acknowledgement to the last.
    /// </summary>
    public Throughput Run(string scenario, Backlog backlog, int pairs, string outputPrefix, int valueBytes)
    {
        string[] outputs = [$"{outputPrefix}-a", $"{outputPrefix}-b"];
        foreach (var topic in outputs)
        {
            _cluster.CreateTopic(topic, backlog.Partitions);
        }

        var options = new ForwardingOptions { NativeProducer = !ForwardingRunner.ConfluentProducer };
        var events = new ProcessorEvents(null, $"producer-only-{Guid.NewGuid():N}", text => text);
        var value = new byte[valueBytes];
        var keys = Enumerable.Range(0, 1_000).Select(BitConverter.GetBytes).ToArray();
        var recordBytes = keys[0].Length + valueBytes;
        var meter = new ThroughputMeter(pairs) { ByThread = ThreadCpu.Enabled };
        var reports = new CountingReports(meter, new OutputWindow(options.MaxUnacknowledgedOutputs, options.MaxUnacknowledgedBytes), recordBytes, options.MaxUnacknowledgedOutputs);
        var (sender, _) = OutputProducer.Sender(_client, options, events, _ => { });
        using (sender)
        {
            for (var i = 0; i < pairs; i++)
            {
                var partition = i % backlog.Partitions;
                var key = keys[i % keys.Length];
                foreach (var topic in outputs)
                {
                    reports.Enter();
                    sender.Send(new OutputRecord(topic, key, value) { Partition = partition }, reports.Take());
                }
            }

            if (!meter.Reached.Wait(RawLoopRunner.Timeout(pairs)))
            {
                throw new TimeoutException($"{scenario}: the producer did not get {pairs * 2} acknowledgements in time ({reports.Failures} failed).");
            }
        }

        return meter.Result(scenario);
    }

    /// <summary>Counts a pair at every second acknowledged record; keeps a slot per record in flight and the window's room.</summary>
    private sealed class CountingReports : IOutputReports
    {
        private readonly Lock _lock = new();
        private readonly ThroughputMeter _meter;
        private readonly OutputWindow _window;
        private readonly long _recordBytes;
        private readonly List<OutputSlot> _slots = [];
        private readonly Stack<OutputSlot> _free = new();
        private int _failures;
        private int _acknowledged;

        public CountingReports(ThroughputMeter meter, OutputWindow window, long recordBytes, int capacity)
        {
            _meter = meter;
            _window = window;
            _recordBytes = recordBytes;
            for (var i = 0; i < capacity; i++)
            {
                var slot = new OutputSlot(this, i);
                _slots.Add(slot);
                _free.Push(slot);
            }
        }

        public int Failures => Volatile.Read(ref _failures);

        /// <summary>Waits for room for one record, as a forwarder's worker does.</summary>
        public void Enter()
        {
            var entered = _window.EnterAsync(1, _recordBytes, CancellationToken.None);
            if (!entered.IsCompletedSuccessfully)
            {
                entered.AsTask().GetAwaiter().GetResult();
            }
        }

        public OutputSlot Take()
        {
            lock (_lock)
            {
                // The window admits one record beyond its bound when it is empty: a slot more then.
                if (!_free.TryPop(out var slot))
                {
                    slot = new OutputSlot(this, _slots.Count);
                    _slots.Add(slot);
                }

                slot.Reset();
                return slot;
            }
        }

        public void Delivered(int index, Error error, Partition partition, Offset offset)
        {
            lock (_lock)
            {
                _free.Push(_slots[index]);
            }

            _window.Leave(1, _recordBytes);
            if (error.IsError)
            {
                Interlocked.Increment(ref _failures);
            }
            else if (Interlocked.Increment(ref _acknowledged) % 2 == 0)
            {
                _meter.Count();
            }
        }
    }
}
