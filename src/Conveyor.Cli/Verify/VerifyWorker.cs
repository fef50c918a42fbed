using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Cli.Verify;

/// <summary>
/// One verify worker process: consumes the input topic and records every id it processes in the
/// output topic (waiting for the broker's acknowledgement before the handler returns).
/// <c>engine</c> runs Conveyor's processor; <c>naive</c> is the strategy the tutorials warn
/// about: automatic commits of consumed offsets while handlers run on their own, failures logged and skipped.
/// With a transactional id (<c>verify --exactly-once</c>) the engine is a <see cref="KafkaForwarder{TKey, TValue}"/>
/// with <see cref="DeliveryGuarantee.ExactlyOnce"/>: the handler returns the output record and the
/// forwarder writes it in the transaction that also commits the input offset.
/// </summary>
internal sealed class VerifyWorker
{
    private readonly ClientSettings _client;
    private readonly WorkerSettings _settings;
    private readonly VerifyFailures _failures;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;

    /// <param name="client">The cluster.</param>
    /// <param name="settings">What to consume and write, and how.</param>
    /// <param name="output">Where the worker signals the verifier (<see cref="WorkerSignals"/>).</param>
    /// <param name="errors">Where the worker's trace and problems go (the verifier prints them).</param>
    public VerifyWorker(ClientSettings client, WorkerSettings settings, TextWriter output, TextWriter errors)
    {
        _client = client;
        _settings = settings;
        _failures = new VerifyFailures(settings);
        _output = output;
        _errors = errors;
    }

    public Task RunAsync(CancellationToken cancellationToken) =>
        _settings.Strategy == "naive" ? Task.Run(() => RunNaive(cancellationToken), CancellationToken.None)
        : _settings.TransactionalId is not null ? RunExactlyOnceAsync(_settings.TransactionalId, cancellationToken)
        : RunEngineAsync(cancellationToken);

    /// <summary>With tracing on, the outputs of each partition's first offsets are printed (where a loss of those was seen).</summary>
    private const long TracedOffsets = 5;

    private static RetryOptions Retry => new()
    {
        MaxAttempts = 5,
        InitialDelay = TimeSpan.FromMilliseconds(5),
        MaxDelay = TimeSpan.FromMilliseconds(200),
        IsRetryable = e => e is not PermanentFailureException,
    };

    private async Task RunEngineAsync(CancellationToken cancellationToken)
    {
        using var output = CreateProducer();
        var trace = WorkerTrace.Enabled ? new WorkerTrace(_errors) : null;
        var builder = new KafkaProcessorBuilder<string, string>(_client.ForProcessor(), Options()).SetObserver(new AssignmentSignal(_output, trace));
        var processor = builder.Handle(async (message, ct) =>
        {
            trace?.Handling(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset));

            var id = long.Parse(message.Value, CultureInfo.InvariantCulture);
            await _failures.ApplyAsync(id, ct).ConfigureAwait(false);
            var written = await output.ProduceAsync(_settings.Output, new Message<string, string> { Key = message.Value, Value = message.Value }, ct).ConfigureAwait(false);
            if (trace is not null && message.Offset < TracedOffsets)
            {
                trace.Written(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset), id, written.TopicPartitionOffset, written.Status);
            }

            if (written.Offset.Value < 0)
            {
                // Acknowledged without an offset: librdkafka's answer to DUPLICATE_SEQUENCE_NUMBER,
                // "already written". The embedded broker gave it for records it never stored
                // (traced: the id was absent from the output, the input committed past it), so
                // the record is sent again: a duplicate at worst, never a false loss.
                throw new UnconfirmedOutputException($"output of id {id} acknowledged without an offset ({written.Status})");
            }
        }).Build();
        await processor.RunAsync(cancellationToken).ConfigureAwait(false);
        output.Flush(TimeSpan.FromSeconds(10));
    }

    private async Task RunExactlyOnceAsync(string transactionalId, CancellationToken cancellationToken)
    {
        var options = Options() with
        {
            Guarantee = DeliveryGuarantee.ExactlyOnce,
            TransactionalId = transactionalId,
        };
        // Traced, the worker's assignments, losses, transaction commits (with their offsets) and
        // aborts (with their reasons) are printed; otherwise only aborts and fatal errors.
        var trace = WorkerTrace.Enabled ? new WorkerTrace(_errors) : null;
        var forwarder = new KafkaProcessorBuilder<string, string>(_client.ForProcessor(), options).SetObserver(new AssignmentSignal(_output, (IProcessorObserver?)trace ?? new TransactionLog(_errors))).Forward(async (message, ct) =>
        {
            trace?.Handling(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset));
            var id = long.Parse(message.Value, CultureInfo.InvariantCulture);
            await _failures.ApplyAsync(id, ct).ConfigureAwait(false);
            return [OutputRecord.Utf8(_settings.Output, message.Value, message.Value)];
        }).Build();
        await forwarder.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The engine's options for this worker: its group and input, ordering, concurrency and retries.</summary>
    private ProcessorOptions Options() => new()
    {
        GroupId = _settings.Group,
        Topics = [_settings.Input],
        Ordering = _settings.Ordering,
        MaxConcurrency = _settings.Concurrency,
        Concurrency = new() { Adaptive = _settings.Adaptive },
        CommitInterval = TimeSpan.FromSeconds(1),
        PersistCompletions = _settings.PersistCompletions,
        OnFailure = _settings.RetryTopics ? FailureAction.RetryTopics : FailureAction.DeadLetter,
        RetryTopics = VerifyRetryTopics.Options,
        Retry = Retry,
    };

    private void RunNaive(CancellationToken cancellationToken)
    {
        using var output = CreateProducer();
        var config = _client.Consumer(_settings.Group, autoCommit: true);
        config.AutoCommitIntervalMs = 200;
        using var consumer = new ConsumerBuilder<string, string>(config).WithoutLogLines()
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                if (partitions.Count > 0)
                {
                    _output.WriteLine(WorkerSignals.Assigned);
                }
            })
            .Build();
        consumer.Subscribe(_settings.Input);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = consumer.Consume(cancellationToken);
                // Handed off and forgotten: its offset is committed whether or not this finishes.
                _ = Task.Run(async () =>
                {
                    try
                    {
                        var id = long.Parse(result.Message.Value, CultureInfo.InvariantCulture);
                        await _failures.ApplyAsync(id, CancellationToken.None).ConfigureAwait(false);
                        await output.ProduceAsync(_settings.Output, new Message<string, string> { Key = result.Message.Value, Value = result.Message.Value }).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is PermanentFailureException or TransientFailureException or KafkaException)
                    {
                        _errors.WriteLine($"naive: skipped offset {result.Offset.Value} of {result.Topic} partition {result.Partition.Value} - {e.Message}");
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        finally
        {
            consumer.Close();
        }
    }

    private IProducer<string, string> CreateProducer()
    {
        var config = _client.Producer();
        config.LingerMs = 2;
        return new ProducerBuilder<string, string>(config).WithoutLogLines().Build();
    }

    /// <summary>Tells the verifier (on standard error) about aborted transactions and fatal client errors.</summary>
    private sealed class TransactionLog(TextWriter errors) : Conveyor.Processing.Transactions.ITransactionObserver
    {
        public void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo) =>
            errors.WriteLine($"transaction aborted ({error.Reason}); rewound to {string.Join(", ", rewoundTo)}");

        public void OnError(Error error)
        {
            if (error.IsFatal)
            {
                errors.WriteLine($"fatal error: {error.Code} {error.Reason}");
            }
        }
    }
}
