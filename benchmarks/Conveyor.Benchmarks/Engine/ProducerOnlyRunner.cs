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

    /// <summary>The forwarding options whose sender and window it uses; the defaults unless set.</summary>
    public ForwardingOptions Options { get; init; } = new();

    /// <summary>
    /// Also times each record from its send to its acknowledgement and counts the sends that
    /// waited for room (<see cref="LastWindow"/>): two clock reads per record, so off in the
    /// engine run, whose producer alone should cost what the forwarder's sends cost.
    /// </summary>
    public bool Timed { get; init; }

    /// <summary>After a timed run: how full the window kept it (sends that waited; mean time to acknowledgement of the records sent after the first acknowledgement; records in flight by Little's law).</summary>
    public string? LastWindow { get; private set; }

    /// <summary>
    /// Writes <paramref name="pairs"/> pairs of <paramref name="valueBytes"/>-byte records (1,000
    /// keys, partition by partition as the backlog) to new topics <paramref name="outputPrefix"/>-a
    /// and -b. Measured in pairs acknowledged per second, from the first acknowledgement to the last.
    /// With <paramref name="pairsPerSecond"/>, the feeding thread keeps to that rate (sending what is
    /// due, then sleeping a millisecond) instead of sending as fast as the window lets it.
    /// </summary>
    public Throughput Run(string scenario, Backlog backlog, int pairs, string outputPrefix, int valueBytes, double? pairsPerSecond = null)
    {
        string[] outputs = [$"{outputPrefix}-a", $"{outputPrefix}-b"];
        foreach (var topic in outputs)
        {
            _cluster.CreateTopic(topic, backlog.Partitions);
        }

        var options = Options with { NativeProducer = !ForwardingRunner.ConfluentProducer };
        var events = new ProcessorEvents(null, $"producer-only-{Guid.NewGuid():N}", text => text);
        var value = new byte[valueBytes];
        var keys = Enumerable.Range(0, 1_000).Select(BitConverter.GetBytes).ToArray();
        var recordBytes = keys[0].Length + valueBytes;
        var meter = new ThroughputMeter(pairs) { ByThread = ThreadCpu.Enabled };
        var reports = new CountingReports(meter, new OutputWindow(options.MaxUnacknowledgedOutputs, options.MaxUnacknowledgedBytes), recordBytes, options.MaxUnacknowledgedOutputs, Timed);
        var (sender, _) = OutputProducer.Sender(_client, options, events, _ => { });
        using (sender)
        {
            var pace = pairsPerSecond is { } rate ? new Pace(rate, () => reports.Acknowledged > 0) : null;
            for (var i = 0; i < pairs; i++)
            {
                pace?.WaitUntilDue(i);
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

        var result = meter.Result(scenario);
        if (Timed)
        {
            var latency = reports.MeanAcknowledgement;
            LastWindow = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{reports.Waits:N0} of {2 * pairs:N0} sends waited for room, {latency.TotalMilliseconds:F2} ms mean from send to acknowledgement, "
                + $"{result.PerSecond * 2 * latency.TotalSeconds:N0} records in flight on average of {options.MaxUnacknowledgedOutputs:N0}");
        }

        return result;
    }

    /// <summary>
    /// Keeps a feeding thread to a rate. The first pair goes out at once and the next waits for its
    /// acknowledgement (the new topics' metadata and connections), then the i-th pair is due i ÷ rate
    /// seconds after that; a pair not yet due sleeps the thread a millisecond (no spinning, which would
    /// bill the CPU figure for waiting), so pairs go out in bursts of about a millisecond's worth. A
    /// thread that fell behind (preempted) does not catch up more than 5 ms' worth at once: the rate
    /// measured stays the one asked for, not a burst's.
    /// </summary>
    private sealed class Pace(double pairsPerSecond, Func<bool> firstAcknowledged)
    {
        private const double MaxDebt = 0.005;
        private long _start;

        public void WaitUntilDue(int pair)
        {
            if (pair == 0)
            {
                return;
            }

            if (_start == 0)
            {
                while (!firstAcknowledged())
                {
                    Thread.Sleep(1);
                }

                _start = System.Diagnostics.Stopwatch.GetTimestamp() - (long)(pair / pairsPerSecond * System.Diagnostics.Stopwatch.Frequency);
            }

            while (true)
            {
                var due = System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds;
                var at = pair / pairsPerSecond;
                if (due - at > MaxDebt)
                {
                    _start += (long)((due - at - MaxDebt) * System.Diagnostics.Stopwatch.Frequency);
                    return;
                }

                if (due >= at)
                {
                    return;
                }

                Thread.Sleep(1);
            }
        }
    }

    /// <summary>Counts a pair at every second acknowledged record; keeps a slot per record in flight and the window's room.</summary>
    private sealed class CountingReports : IOutputReports
    {
        private readonly Lock _lock = new();
        private readonly ThroughputMeter _meter;
        private readonly OutputWindow _window;
        private readonly long _recordBytes;
        private readonly List<OutputSlot> _slots = [];
        private readonly List<long> _sentAt = [];
        private readonly Stack<int> _free = new();
        private readonly bool _timed;
        private long _ticksToAcknowledgement;
        private long _firstAcknowledged;
        private int _timedRecords;
        private int _failures;
        private int _acknowledged;
        private int _waits;

        public CountingReports(ThroughputMeter meter, OutputWindow window, long recordBytes, int capacity, bool timed)
        {
            _meter = meter;
            _window = window;
            _recordBytes = recordBytes;
            _timed = timed;
            for (var i = 0; i < capacity; i++)
            {
                _slots.Add(new OutputSlot(this, i));
                _sentAt.Add(0);
                _free.Push(i);
            }
        }

        public int Failures => Volatile.Read(ref _failures);

        public int Acknowledged => Volatile.Read(ref _acknowledged);

        public int Waits => Volatile.Read(ref _waits);

        public TimeSpan MeanAcknowledgement =>
            TimeSpan.FromSeconds(Interlocked.Read(ref _ticksToAcknowledgement) / (double)System.Diagnostics.Stopwatch.Frequency / Math.Max(1, Volatile.Read(ref _timedRecords)));

        /// <summary>Waits for room for one record, as a forwarder's worker does.</summary>
        public void Enter()
        {
            var entered = _window.EnterAsync(1, _recordBytes, CancellationToken.None);
            if (!entered.IsCompletedSuccessfully)
            {
                _waits++; // one feeding thread
                entered.AsTask().GetAwaiter().GetResult();
            }
        }

        public OutputSlot Take()
        {
            lock (_lock)
            {
                // The window admits one record beyond its bound when it is empty: a slot more then.
                if (!_free.TryPop(out var index))
                {
                    index = _slots.Count;
                    _slots.Add(new OutputSlot(this, index));
                    _sentAt.Add(0);
                }

                var slot = _slots[index];
                slot.Reset();
                _sentAt[index] = _timed ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                return slot;
            }
        }

        public void Delivered(int index, Error error, Partition partition, Offset offset)
        {
            lock (_lock)
            {
                // Only records sent after the first acknowledgement, as the rate is measured from
                // there: the first ones also wait for the new topics' metadata.
                var now = _timed ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                if (_timed && _firstAcknowledged == 0)
                {
                    _firstAcknowledged = now;
                }
                else if (_timed && _sentAt[index] >= _firstAcknowledged)
                {
                    _ticksToAcknowledgement += now - _sentAt[index];
                    _timedRecords++;
                }

                _free.Push(index);
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
