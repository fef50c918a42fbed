using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Runs a <see cref="KafkaForwarder{TKey, TValue}"/> over a backlog whose handler writes each input
/// twice (same key and value, same partition number) to two output topics of its own, until a
/// number of inputs are finished (both outputs acknowledged); then stops it and checks that the
/// broker kept every output.
/// </summary>
internal sealed class ForwardingRunner
{
    private readonly EmbeddedKafkaCluster _cluster;
    private readonly KafkaClientProperties _client;

    /// <summary>With <c>CONVEYOR_FORWARD_PRODUCER=confluent</c> the forwarder writes through Confluent.Kafka's producer (the fallback) instead of Conveyor's native one.</summary>
    public static bool ConfluentProducer => Environment.GetEnvironmentVariable("CONVEYOR_FORWARD_PRODUCER") == "confluent";

    public ForwardingRunner(EmbeddedKafkaCluster cluster, KafkaClientProperties client)
    {
        _cluster = cluster;
        _client = client;
    }

    /// <summary>
    /// Forwards the first <paramref name="messages"/> inputs of the backlog to new topics
    /// <paramref name="outputPrefix"/>-a and -b (as many partitions as the backlog: an output goes to
    /// its input's partition number, so outputs spread exactly like the backlog). Measured from the
    /// first finished input to the <paramref name="messages"/>-th.
    /// </summary>
    public async Task<Throughput> RunAsync(string scenario, Backlog backlog, int messages, string outputPrefix, int concurrency = 64)
    {
        string[] outputs = [$"{outputPrefix}-a", $"{outputPrefix}-b"];
        foreach (var topic in outputs)
        {
            _cluster.CreateTopic(topic, backlog.Partitions);
        }

        var options = new ProcessorOptions
        {
            GroupId = $"forward-{Guid.NewGuid():N}",
            Topics = [backlog.Topic],
            Ordering = OrderingMode.Key,
            MaxConcurrency = concurrency,
            OnFailure = FailureAction.StopProcessor,
            Forwarding = new ForwardingOptions { NativeProducer = !ConfluentProducer },
        };
        var meter = new ThroughputMeter(messages) { ByThread = ThreadCpu.Enabled };
        ForwardingHandler<byte[], byte[]> handler = (message, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>(
        [
            new OutputRecord(outputs[0], message.Key, message.Value) { Partition = message.Partition },
            new OutputRecord(outputs[1], message.Key, message.Value) { Partition = message.Partition },
        ]);

        using var stop = new CancellationTokenSource();
        var forwarder = new KafkaProcessorBuilder<byte[], byte[]>(_client, options).SetObserver(new FinishedCounter(meter)).Forward(handler).Build();
        var running = forwarder.RunAsync(stop.Token);
        var finished = await Task.WhenAny(meter.Reached, running, Task.Delay(RawLoopRunner.Timeout(messages))).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await running.ConfigureAwait(false);
        if (finished != meter.Reached)
        {
            throw new TimeoutException($"{scenario}: the forwarder did not finish {messages} messages of '{backlog.Topic}' in time.");
        }

        // Inputs still running at the stop finish too, so there may be a few more outputs than inputs counted.
        foreach (var topic in outputs)
        {
            var total = RetentionCheck.Check(_cluster, topic, backlog.Partitions);
            if (total < messages)
            {
                throw new InvalidOperationException($"'{topic}' holds {total} messages, expected at least {messages}.");
            }
        }

        return meter.Result(scenario);
    }

    /// <summary>
    /// The seed's way, as the baseline: one consumer, and for each input send it to both outputs,
    /// wait for both acknowledgements, store its offset, then the next input. The same idempotent
    /// producer settings as the forwarder's.
    /// </summary>
    public Task<Throughput> RunSequentialAsync(string scenario, Backlog backlog, int messages, string outputPrefix) =>
        Task.Factory.StartNew(
            () => RunSequential(scenario, backlog, messages, outputPrefix),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();

    private async Task<Throughput> RunSequential(string scenario, Backlog backlog, int messages, string outputPrefix)
    {
        string[] outputs = [$"{outputPrefix}-a", $"{outputPrefix}-b"];
        foreach (var topic in outputs)
        {
            _cluster.CreateTopic(topic, backlog.Partitions);
        }

        var producerConfig = _client.ToDictionary([new("enable.idempotence", "true"), new("acks", "all"), new("linger.ms", "5")]);
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(producerConfig).SetLogHandler((_, _) => { }).Build();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(RawLoopRunner.Config(_client, $"sequential-{Guid.NewGuid():N}", backlog.Topic))
            .SetLogHandler((_, _) => { })
            .Build();
        consumer.Subscribe(backlog.Topic);
        var meter = new ThroughputMeter(messages);
        var deadline = DateTime.UtcNow + RawLoopRunner.Timeout(messages);
        while (!meter.IsDone)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{scenario}: the sequential loop did not forward {messages} messages of '{backlog.Topic}' in time.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            var message = new Message<byte[]?, byte[]?> { Key = result.Message.Key, Value = result.Message.Value };
            await Task.WhenAll(
                producer.ProduceAsync(new TopicPartition(outputs[0], result.Partition), message),
                producer.ProduceAsync(new TopicPartition(outputs[1], result.Partition), message)).ConfigureAwait(false);
            consumer.StoreOffset(result);
            meter.Count();
        }

        consumer.Close();
        return meter.Result(scenario);
    }

    /// <summary>
    /// What the forwarding rounds' counting costs per input on the thread that tells it (the output
    /// producer's delivery thread), measured apart because a round cannot show it through its own
    /// noise: the objects the forwarder makes for the event only when someone hears it (one
    /// <see cref="TopicPartitionOffset"/> for the input and one per output, and their array), the
    /// call through a <see cref="CompositeObserver"/> and <see cref="FinishedCounter"/>'s count, done
    /// <paramref name="inputs"/> times in a row on this thread, garbage collections included; the
    /// median of three such runs, in CPU microseconds per input (the thread's own CPU time from
    /// <c>/proc/thread-self/schedstat</c>, wall time where that is missing).
    /// </summary>
    public static double ObserverMicrosecondsPerInput(int partitions, int inputs = 300_000)
    {
        string[] outputs = ["observer-a", "observer-b"];
        var runs = new List<double>();
        for (var run = 0; run < 3; run++)
        {
            var meter = new ThroughputMeter(inputs + 1); // never reached: Count's first-call bookkeeping only once, as in a round
            IForwardingObserver observer = new CompositeObserver(new FinishedCounter(meter));
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var before = MachineProbe.ThreadOnCpuNanoseconds();
            for (var i = 0; i < inputs; i++)
            {
                var partition = new Partition(i % partitions);
                var written = new TopicPartitionOffset[outputs.Length];
                for (var o = 0; o < written.Length; o++)
                {
                    written[o] = new TopicPartitionOffset(outputs[o], partition, new Offset(i));
                }

                observer.OnForwarded(new TopicPartitionOffset("observer-input", partition, new Offset(i)), written);
            }

            var after = MachineProbe.ThreadOnCpuNanoseconds();
            var nanoseconds = before is { } b && after is { } a ? a - b : System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalNanoseconds;
            runs.Add(nanoseconds / 1_000.0 / inputs);
        }

        return runs.Order().ElementAt(1);
    }

    /// <summary>
    /// Counts an input once every output of it was acknowledged. Hearing the event costs the engine
    /// its arguments, which a forwarder without a forwarding observer never makes (one
    /// <see cref="TopicPartitionOffset"/> for the input and one per output, and the outputs' array):
    /// the meter keeps their bytes apart (<see cref="ThroughputMeter.ProbeBytesPerCount"/>), so the
    /// round's allocation is the engine's own and what a forwarding observer adds is reported beside it.
    /// </summary>
    private sealed class FinishedCounter(ThroughputMeter meter) : IForwardingObserver
    {
        public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
        {
            if (meter.ProbeBytesPerCount == 0)
            {
                meter.ProbeBytesPerCount = ForwardedEventBytes(outputs.Count); // before the first count: every counted input has as many outputs
            }

            meter.Count();
        }

        /// <summary>What the forwarder makes for one event with <paramref name="outputs"/> outputs, made here the same way and weighed.</summary>
        public static long ForwardedEventBytes(int outputs)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var input = new TopicPartitionOffset("input", new Partition(0), new Offset(0));
            var written = new TopicPartitionOffset[outputs];
            for (var i = 0; i < outputs; i++)
            {
                written[i] = new TopicPartitionOffset("output", new Partition(0), new Offset(i));
            }

            var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            GC.KeepAlive(input);
            GC.KeepAlive(written);
            return bytes;
        }
    }
}
