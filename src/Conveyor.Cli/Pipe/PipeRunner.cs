using Confluent.Kafka;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Cli.Pipe;

/// <summary>
/// Runs a <see cref="KafkaForwarder{TKey, TValue}"/> that sends every input message, transformed,
/// to each output topic (same key and headers), until stopped, until <see cref="PipeSettings.MaxMessages"/>,
/// or until given offsets are committed.
/// </summary>
internal sealed class PipeRunner
{
    private readonly ClientSettings _settings;
    private readonly PipeSettings _pipe;
    private readonly TextWriter _errors;
    private readonly MessageBudget _budget;
    private readonly CancellationTokenSource _done = new();
    private volatile IReadOnlyDictionary<TopicPartition, long>? _target;

    public PipeRunner(ClientSettings settings, PipeSettings pipe, TextWriter output, TextWriter errors)
    {
        _settings = settings;
        _pipe = pipe;
        _errors = errors;
        _budget = new MessageBudget(pipe.MaxMessages);
        Observer = new PipeObserver(new ConsoleObserver(output, errors, settings.ShowClientLogs), output);
        Observer.MessageForwarded += CheckMaxMessages;
        Observer.Console.MessageSettled += CheckMaxMessages;
        Observer.Console.Committed += _ => CheckTarget();
        Observer.Console.MessageSettled += CheckTarget;
    }

    public PipeObserver Observer { get; }

    /// <summary>
    /// Makes <see cref="RunAsync"/> return once these offsets (next to read) are committed, or their
    /// partition stopped at a failed message (its commit stays there, so it would never get further).
    /// </summary>
    public void StopWhenCommitted(IReadOnlyDictionary<TopicPartition, long> nextOffsets)
    {
        _target = nextOffsets;
        CheckTarget();
    }

    /// <summary>Runs until stopped (or the target or message count is reached); the forwarder then drains and commits.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunForwarderAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (Observer.Console.ClusterLost)
            {
                _errors.WriteLine(EngineLines.StoppedWithoutCluster(_pipe.Processor.GroupId, Observer.Console.CommittedOffsets));
            }
        }
    }

    private async Task RunForwarderAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _done.Token);
        var forwarder = new KafkaProcessorBuilder<byte[]?, byte[]?>(_settings.ForProcessor(), _pipe.Processor).SetObserver(Observer).Forward(Forward).Build();
        await forwarder.RunAsync(stop.Token).ConfigureAwait(false);
    }

    private ValueTask<IReadOnlyList<OutputRecord>> Forward(Conveyor.Processing.MessageContext<byte[]?, byte[]?> message, CancellationToken cancellationToken)
    {
        if (message.Attempt == 1)
        {
            // --max-messages: the workers racing ahead while the stop is on its way write nothing.
            _budget.Take();
        }

        var value = _pipe.Transform.Apply(message.Value);
        return ValueTask.FromResult<IReadOnlyList<OutputRecord>>(
            [.. _pipe.To.Select(topic => new OutputRecord(topic, message.Key, value) { Headers = message.Headers })]);
    }

    private void CheckMaxMessages()
    {
        var settled = Observer.Forwarded + Observer.Console.DeadLetters + Observer.Console.StoppedPartitions;
        if (_pipe.MaxMessages is { } max && settled >= max)
        {
            _done.Cancel();
        }
    }

    private void CheckTarget()
    {
        if (_target is { } target && target.All(t =>
            Observer.Console.CommittedOffsets.GetValueOrDefault(t.Key, 0) >= t.Value || Observer.Console.StoppedAt.ContainsKey(t.Key)))
        {
            _done.Cancel();
        }
    }
}
