using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;
using Conveyor.Processing.Engine;

namespace Conveyor.Fleet;

/// <summary>
/// A processor's part in its fleet (<see cref="FleetOptions"/>): before the poll loop starts it
/// replays the control topic into the group's <see cref="OperatorState"/> (so a partition paused
/// before this start is never handled), then, on a thread of its own, publishes the status record
/// every interval and hands each new command to the poll loop through its
/// <see cref="PollCommands"/>, the engine's only way in. Once the processor stops it publishes a
/// last record.
/// </summary>
internal sealed class FleetMember : IDisposable, IPendingRewinds
{
    private const int KeptResults = 20;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    private readonly KafkaClientProperties _client;
    private readonly ProcessorOptions _options;
    private readonly FleetOptions _fleet;
    private readonly IEngineEvents _events;
    private readonly IConcurrencyControl? _concurrency;
    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly List<CommandResult> _results = [];
    private readonly List<TopicPartition> _toSettle = [];
    private IProducer<byte[]?, byte[]?>? _producer;
    private TopicTail? _control;
    private PollLoop? _poll;
    private Action? _stop;
    private string? _lastPublishError;

    public FleetMember(KafkaClientProperties client, ProcessorOptions options, IEngineEvents events, IConcurrencyControl? concurrency, TimeProvider? clock = null)
    {
        _client = client;
        _options = options;
        _fleet = options.Fleet;
        _events = events;
        _concurrency = concurrency;
        _clock = clock ?? TimeProvider.System;
        Instance = _fleet.InstanceId ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        Operators = new OperatorState(options.GroupId);
    }

    public string Instance { get; }

    /// <summary>The group's operator state as the control topic built it.</summary>
    public OperatorState Operators { get; }

    /// <summary>Whether an operator paused <paramref name="partition"/> (the poll loop asks).</summary>
    public bool PausedByOperator(TopicPartition partition) => Operators.PauseOf(partition.Topic, partition.Partition.Value) is not null;

    /// <summary>
    /// Reads the control topic's history into the operator state (pauses in force, the last
    /// concurrency limit, rewinds still waiting for a partition's next owner); other rewinds and
    /// stops of the past are not done again. A missing control
    /// topic is reported and obeys nothing: nothing could have been paused through it.
    /// </summary>
    public void Prepare(CancellationToken cancellationToken)
    {
        // Status records, and the notes that a rewind was decided (on the control topic).
        _producer = ProducerFactory.Build(_client, TimeSpan.Zero, _events);

        if (_fleet.ControlTopic is not { } topic)
        {
            return;
        }

        _control = TopicTail.Open(_client, topic, back: null, ClientTimeout);
        if (_control is null)
        {
            _events.OnError(new Error(ErrorCode.UnknownTopicOrPart,
                $"The control topic '{topic}' does not exist: this instance obeys no operator commands. Create it (one partition, no compaction, long retention) and restart."));
            return;
        }

        foreach (var record in _control.History(ClientTimeout * 3, cancellationToken))
        {
            if (ControlCommand.Parse(record.Message.Value) is { } command)
            {
                Operators.Apply(command);
            }
        }

        if (Operators.Concurrency is { } asked)
        {
            _concurrency?.SetLimit(asked.Limit, $"operator {asked.By} (replayed at start)");
        }
    }

    /// <summary>The poll loop commands go to, and how to stop the processor.</summary>
    public void Attach(PollLoop poll, Action stop)
    {
        _poll = poll;
        _stop = stop;
        if (_control is not null)
        {
            poll.Holds.Pending = this;
        }
    }

    /// <inheritdoc/>
    public bool Waits(TopicPartition partition) => Operators.PendingRewinds([(partition.Topic, partition.Partition.Value)], _clock.GetUtcNow()).Count > 0;

    /// <inheritdoc/>
    public void Settle(IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            _toSettle.AddRange(partitions);
        }
    }

    /// <summary>Publishes and obeys until <paramref name="stopping"/>.</summary>
    public void Run(CancellationToken stopping)
    {
        var next = DateTimeOffset.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            var now = _clock.GetUtcNow();
            if (now >= next)
            {
                Publish(_events.Status);
                next = now + _fleet.StatusInterval;
            }

            var wait = TimeSpan.FromMilliseconds(Math.Clamp((next - now).TotalMilliseconds, 1, 200));
            if (_control is null)
            {
                stopping.WaitHandle.WaitOne(wait);
                continue;
            }

            try
            {
                SettleAwaiting(stopping);
                if (_control.Next(wait) is { } record && ControlCommand.Parse(record.Message.Value) is { } command)
                {
                    Obey(command);
                }
            }
            catch (ConsumeException e)
            {
                _events.OnError(e.Error);
            }
        }
    }

    /// <summary>The last record: the processor stopped (or failed), with no partitions.</summary>
    public void PublishLast(string? failure)
    {
        var status = _events.Status with { State = failure is null ? ProcessorState.Stopped : ProcessorState.Failed, Failure = failure, AssignedPartitions = [] };
        Publish(status);
        _producer?.Flush(ClientTimeout);
    }

    /// <summary>
    /// For partitions assigned with a rewind pending: reads the control topic to its end first (an
    /// owner that decided the rewind noted it there before it could give the partition up), then,
    /// on the poll thread, applies the rewinds still pending and lets the partitions be owned.
    /// </summary>
    private void SettleAwaiting(CancellationToken stopping)
    {
        if (_poll is not { } poll)
        {
            return;
        }

        List<TopicPartition> partitions;
        lock (_lock)
        {
            if (_toSettle.Count == 0)
            {
                return;
            }

            partitions = [.. _toSettle];
            _toSettle.Clear();
        }

        try
        {
            foreach (var record in _control!.ReadToEnd(ClientTimeout, stopping))
            {
                if (ControlCommand.Parse(record.Message.Value) is { } command)
                {
                    Obey(command);
                }
            }
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            // Not known whether another owner decided them: applying could rewind twice, so the partitions are owned unmoved.
            _events.OnError(new Error(ErrorCode.Local_TimedOut, $"The control topic could not be read to its end ({e.Message}); rewinds pending for {string.Join(", ", partitions)} are not applied."));
            poll.Commands.Post(() => poll.Holds.EndAwaiting(partitions));
            return;
        }

        poll.Commands.Post(() =>
        {
            foreach (var rewind in Operators.PendingRewinds(partitions.Select(p => (p.Topic, p.Partition.Value)), _clock.GetUtcNow()))
            {
                var result = Rewind(poll.Holds, rewind);
                Decided(rewind, result);
                Record(rewind, $"{Answer(result)} (on taking the partition)");
            }

            poll.Holds.EndAwaiting(partitions);
        });
    }

    /// <summary>
    /// Notes on the control topic, and waits for it to be written, that this owner decided
    /// <paramref name="rewind"/> for these partitions: on the poll thread, before the partitions
    /// can be revoked, so whoever owns them next reads it before it could apply the rewind again.
    /// </summary>
    private void Decided(ControlCommand rewind, RewindResult result)
    {
        if (rewind.Until is null || result.Decided.Count == 0 || _producer is null)
        {
            return;
        }

        var note = new ControlCommand(Guid.NewGuid().ToString("N"), rewind.Group, ControlKind.Rewound, Instance, _clock.GetUtcNow())
        {
            Topic = rewind.Topic,
            Partitions = [.. result.Decided.Select(p => p.Partition.Value)],
            Of = rewind.Id,
        };
        Operators.Apply(note);
        string? failure;
        try
        {
            var written = _producer.ProduceAsync(_fleet.ControlTopic!, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(rewind.Group), Value = note.ToJson() });
            failure = written.Wait(ClientTimeout) ? null : $"no acknowledgement within {ClientTimeout.TotalSeconds:0} s";
        }
        catch (AggregateException e)
        {
            failure = e.InnerException?.Message;
        }

        if (failure is not null)
        {
            _events.OnError(new Error(ErrorCode.Local_Fail, $"The note that rewind {rewind.Id} was decided here could not be written to '{_fleet.ControlTopic}' ({failure}); a later owner of those partitions may apply it again."));
        }
    }

    private void Obey(ControlCommand command)
    {
        if (!Operators.Apply(command) || (command.Instance is { } only && only != Instance))
        {
            return; // another group's, seen before, or for another instance
        }

        switch (command.Kind)
        {
            case ControlKind.Pause or ControlKind.Resume:
                OnPollThread(command, poll =>
                {
                    poll.Holds.Reconcile();
                    var held = poll.Holds.Held.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value).Select(p => $"{p.Topic}[{p.Partition.Value}]").ToList();
                    return $"{(command.Kind == ControlKind.Pause ? "paused" : "resumed")} {command.Scope}; held here: {(held.Count == 0 ? "none" : string.Join(", ", held))}";
                });
                break;
            case ControlKind.Concurrency when command.Limit is { } limit:
                if (_concurrency is null)
                {
                    Record(command, $"refused: this processor has no live concurrency limit; it runs {_options.MaxConcurrency} handlers");
                }
                else
                {
                    _concurrency.SetLimit(limit, $"operator {command.By}");
                    Record(command, $"limit {_concurrency.Limit}");
                }

                break;
            case ControlKind.Rewind when command.Topic is not null && command.Partitions is { Count: > 0 }
                && (command.Offset is not null || command.Offsets is not null || command.Shift is not null):
                OnPollThread(command, poll =>
                {
                    var result = Rewind(poll.Holds, command);
                    Decided(command, result);
                    return Answer(result);
                });
                break;
            case ControlKind.Stop:
                Record(command, "stopping");
                _stop?.Invoke();
                break;
            case ControlKind.Rewound:
                break; // another owner's note: the operator state has it
            default:
                Record(command, "refused: incomplete command");
                break;
        }
    }

    /// <summary>On the poll thread: a shift is resolved there, from each partition's committed offset then; offsets came resolved.</summary>
    private static RewindResult Rewind(OperatorHolds holds, ControlCommand command)
    {
        var named = command.Partitions!.Select(p => new TopicPartition(command.Topic!, p)).ToList();
        if (command.Shift is { } shift)
        {
            return holds.Shift(named, shift);
        }

        return holds.Rewind([.. named
            .Select(p => (Partition: p, To: command.Offsets is { } each ? each.GetValueOrDefault(p.Partition.Value, -1) : command.Offset ?? -1))
            .Where(t => t.To >= 0)
            .Select(t => new TopicPartitionOffset(t.Partition, t.To))]);
    }

    /// <summary>The answer to a rewind: <c>moved t[0] to 10, t[1] to 12</c>, <c>moved none: ...</c>, or <c>refused: ...</c>.</summary>
    private static string Answer(RewindResult result) =>
        result.Refused.Count > 0 ? $"refused: {string.Join("; ", result.Refused)}; moved none here"
        : result.Moved.Count == 0 ? "moved none: owns none of them"
        : $"moved {string.Join(", ", result.Moved.Select(m => $"{m.Topic}[{m.Partition.Value}] to {m.Offset.Value}"))}";

    private void OnPollThread(ControlCommand command, Func<PollLoop, string> action)
    {
        if (_poll is not { } poll)
        {
            return;
        }

        poll.Commands.Post(() => Record(command, action(poll)));
    }

    private void Record(ControlCommand command, string result)
    {
        lock (_lock)
        {
            _results.Add(new CommandResult(command.Id, command.Kind, result, _clock.GetUtcNow()));
            if (_results.Count > KeptResults)
            {
                _results.RemoveAt(0);
            }
        }

        // Published at once, so an operator waiting for the answer need not wait for the interval.
        Publish(_events.Status);
    }

    private void Publish(ProcessorStatus status)
    {
        if (_producer is null || _fleet.StatusTopic is not { } topic)
        {
            return;
        }

        List<CommandResult> results;
        lock (_lock)
        {
            results = [.. _results];
        }

        var record = StatusRecords.Build(_options, Instance, status, Operators, _concurrency?.Limit ?? _options.MaxConcurrency, results, _clock.GetUtcNow());
        try
        {
            _producer.Produce(topic, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(record.Key), Value = record.ToJson() }, report =>
            {
                if (report.Error.IsError && report.Error.Reason != _lastPublishError)
                {
                    _lastPublishError = report.Error.Reason;
                    _events.OnError(new Error(report.Error.Code, $"The status record could not be published to '{topic}': {report.Error.Reason}"));
                }
            });
        }
        catch (ProduceException<byte[]?, byte[]?> e)
        {
            _events.OnError(e.Error);
        }
    }

    public void Dispose()
    {
        _control?.Dispose();
        _producer?.Dispose();
    }
}
