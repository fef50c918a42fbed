using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.Serialization;
using Conveyor.Tests.Processing.Engine;

namespace Conveyor.Tests.Processing.Batching;

/// <summary>A batch processor's engine (poll loop, dispatcher taking runs, workers) on a <see cref="FakeConsumer"/>.</summary>
internal sealed class BatchEngine : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<FakeConsumer> _consumer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _running;

    private BatchEngine(ProcessorOptions options, BatchHandler<string, string> handler, IProcessorObserver? observer)
    {
        var client = new KafkaClientProperties("fake:9092");
        var processor = new KafkaProcessor<string, string>(
            client,
            options,
            (_, _) => throw new InvalidOperationException("not a batch"),
            MessageDeserializer<string>.Of((IDeserializer<string>?)null),
            MessageDeserializer<string>.Of((IDeserializer<string>?)null),
            ProcessorSetup.Telemetry(client, options, observer),
            transactions: null,
            consumers: new Factory(_consumer))
        {
            Batches = handler,
            Runtime = EngineHarness.NoClusterRuntime(),
        };
        _running = Task.Run(() => processor.RunAsync(_stop.Token));
    }

    public FakeConsumer Consumer => _consumer.Task.Result;

    /// <summary>The processor's run; completes when it stops.</summary>
    public Task Running => _running;

    /// <summary>Options as the tests need them: partition <c>t</c>, commits only when the test causes them, failures stop the partition.</summary>
    public static ProcessorOptions Options(BatchOptions batch, RetryOptions retry) => new()
    {
        GroupId = "batch-tests",
        Topics = ["t"],
        CommitInterval = TimeSpan.FromMinutes(10),
        IdleCommitDelay = Timeout.InfiniteTimeSpan,
        MaxConcurrency = 4,
        Batch = batch,
        Retry = retry,
        OnFailure = FailureAction.StopPartition,
    };

    /// <summary>Starts the engine with these messages in partition <c>t</c>[n] (one list per partition), all assigned.</summary>
    public static async Task<BatchEngine> StartAsync(ProcessorOptions options, BatchHandler<string, string> handler, IReadOnlyList<IReadOnlyList<string>> partitions, IProcessorObserver? observer = null)
    {
        var engine = new BatchEngine(options, handler, observer);
        var consumer = await engine._consumer.Task.WaitAsync(Patience);
        var assigned = new List<TopicPartition>();
        for (var p = 0; p < partitions.Count; p++)
        {
            var partition = new TopicPartition("t", p);
            assigned.Add(partition);
            foreach (var value in partitions[p])
            {
                consumer.Append(partition, "k", value);
            }
        }

        await consumer.GroupAssigns([.. assigned]).Returned;
        return engine;
    }

    /// <summary>Stops the processor; completes when it has (drained, committed, closed).</summary>
    public Task StopAsync()
    {
        _stop.Cancel();
        return _running.WaitAsync(Patience);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.WaitAsync(Patience).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private sealed class Factory(TaskCompletionSource<FakeConsumer> made) : IConsumerFactory
    {
        public IConsumer<byte[]?, byte[]?> Create(ConsumerCallbacks callbacks)
        {
            var consumer = new FakeConsumer(callbacks);
            made.TrySetResult(consumer);
            return consumer;
        }

        public IOffsetsWithMetadata? OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer) => (FakeConsumer)consumer;
    }
}
