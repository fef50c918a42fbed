using Confluent.Kafka;
using Conveyor.Cli.Kafka;
using Conveyor.Processing;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// The tutorial's consumer on Conveyor's engine: the same processing step that fails at random,
/// but failed messages are retried and then dead-lettered (or stop their partition) instead of
/// stopping everything, and many messages run at once.
/// </summary>
internal sealed class EngineConsumer
{
    private readonly ClientSettings _settings;
    private readonly EngineSettings _engine;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private readonly Random _dice;
    private readonly MessageBudget _budget;
    private readonly CancellationTokenSource _done = new();
    private volatile IReadOnlyDictionary<TopicPartition, long>? _target;
    private int _processed;

    public EngineConsumer(ClientSettings settings, EngineSettings engine, TextWriter output, TextWriter errors)
    {
        _settings = settings;
        _engine = engine;
        _output = output;
        _errors = errors;
        _dice = engine.Seed is { } seed ? new Random(seed) : new Random();
        _budget = new MessageBudget(engine.MaxMessages);
        Observer = new ConsoleObserver(output, errors, settings.ShowClientLogs);
        Observer.Committed += _ => CheckTarget();
        Observer.MessageSettled += CheckMaxMessages;
        Observer.MessageSettled += CheckTarget;
    }

    public ConsoleObserver Observer { get; }

    /// <summary>Messages handled successfully.</summary>
    public int Processed => Volatile.Read(ref _processed);

    /// <summary>
    /// Makes <see cref="RunAsync"/> return once these offsets (next to read) are committed, or their
    /// partition stopped at a failed message (its commit stays there, so it would never get further).
    /// </summary>
    public void StopWhenCommitted(IReadOnlyDictionary<TopicPartition, long> nextOffsets)
    {
        _target = nextOffsets;
        CheckTarget();
    }

    /// <summary>Runs until stopped (or the target or message count is reached); the processor then drains and commits.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunProcessorAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (Observer.ClusterLost)
            {
                _errors.WriteLine(EngineLines.StoppedWithoutCluster(_engine.Processor.GroupId, Observer.CommittedOffsets));
            }
        }
    }

    private async Task RunProcessorAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _done.Token);
        var processor = new KafkaProcessorBuilder<string?, User>(
            _settings.ForProcessor(), _engine.Processor).SetValueDeserializer(_budget.Counting<User>(User.Json)).SetObserver(Observer).Handle(HandleAsync).Build();
        if (_engine.StatsInterval is not { } interval)
        {
            await processor.RunAsync(stop.Token).ConfigureAwait(false);
            return;
        }

        var stats = new LiveStats(() => processor.Status);
        using var printing = new CancellationTokenSource();
        var printer = stats.PrintAsync(_output, interval, printing.Token);
        try
        {
            await processor.RunAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            await printing.CancelAsync().ConfigureAwait(false);
            await printer.ConfigureAwait(false);
        }
    }

    private ValueTask HandleAsync(MessageContext<string?, User> message, CancellationToken cancellationToken)
    {
        var at = new TopicPartitionOffset(message.Topic, message.Partition, message.Offset);
        if (message.Attempt == 1)
        {
            _budget.Take();
            _output.WriteLine(TutorialLines.Received(message.Key, message.Value, at));
        }

        double roll;
        lock (_dice)
        {
            roll = _dice.NextDouble();
        }

        if (roll < _engine.FailRate)
        {
            var failure = new InvalidOperationException("simulated processing failure (--fail-rate)");
            _output.WriteLine(EngineLines.ProcessingFailed(message.Key, at, message.Attempt, failure));
            throw failure;
        }

        Interlocked.Increment(ref _processed);
        CheckMaxMessages();
        return ValueTask.CompletedTask;
    }

    private void CheckMaxMessages()
    {
        if (Processed + Observer.DeadLetters + Observer.StoppedPartitions >= _engine.MaxMessages)
        {
            _done.Cancel();
        }
    }

    private void CheckTarget()
    {
        var target = _target;
        if (target is not null && target.All(t =>
            (Observer.CommittedOffsets.TryGetValue(t.Key, out var at) && at >= t.Value) || Observer.StoppedAt.ContainsKey(t.Key)))
        {
            _done.Cancel();
        }
    }
}
