using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;

namespace Conveyor.IntegrationTests.Support;

/// <summary>
/// Checks an exactly-once forwarder's calls against the rule its guarantee rests on: a committed
/// transaction carries the offset of every input whose outputs it holds, and holds each input's
/// outputs once. Handlers report their outputs while they hold the transaction gate, and commits
/// and aborts happen with the gate closed, so the inputs heard since the last commit or abort are
/// the ones the transaction holds. The embedded broker does not enforce transactions: what the
/// engine asked for is what can be checked there.
/// </summary>
internal sealed class TransactionInvariantObserver : ITransactionObserver, IForwardingObserver
{
    private readonly Lock _lock = new();
    private readonly List<TopicPartitionOffset> _open = [];
    private readonly HashSet<TopicPartitionOffset> _committed = [];
    private readonly List<string> _violations = [];
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _timeline = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TaskCompletionSource _error = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _abort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _commits;
    private int _aborts;
    private long _forwarded;

    public IReadOnlyList<string> Violations => Locked(() => _violations.ToList());

    /// <summary>How many distinct inputs were committed.</summary>
    public int CommittedInputs => Locked(() => _committed.Count);

    public int Commits => Locked(() => _commits);

    public int Aborts => Locked(() => _aborts);

    public long Forwarded => Interlocked.Read(ref _forwarded);

    public ConcurrentQueue<Error> Errors { get; } = new();

    /// <summary>Errors, commits, aborts, losses and the test's steps, in order, with the seconds since the observer was made: for a failure's message.</summary>
    public string Timeline => string.Join(Environment.NewLine, _timeline);

    /// <summary>Adds a step of the test to the <see cref="Timeline"/>.</summary>
    public void Note(string step) => Record(step);

    /// <summary>Completes when partitions were lost.</summary>
    public Task Lost => _lost.Task;

    /// <summary>Completes at the next error the clients report.</summary>
    public Task NextError()
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _error, next);
        return next.Task;
    }

    /// <summary>Completes at the next aborted transaction.</summary>
    public Task NextAbort()
    {
        var next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _abort, next);
        return next.Task;
    }

    public Action? Changed { get; set; }

    /// <summary>A new forwarder starts in place of one that stopped: what the old one left in its transaction was never committed.</summary>
    public void Restarted()
    {
        lock (_lock)
        {
            _open.Clear();
        }
    }

    public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
        lock (_lock)
        {
            _open.Add(input);
        }

        Interlocked.Increment(ref _forwarded);
        Changed?.Invoke();
    }

    public void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        lock (_lock)
        {
            _commits++;
            foreach (var twice in _open.GroupBy(i => i).Where(g => g.Count() > 1))
            {
                _violations.Add($"transaction {_commits} holds the outputs of {twice.Key} {twice.Count()} times");
            }

            foreach (var input in _open.Distinct())
            {
                if (!offsets.Any(o => o.TopicPartition == input.TopicPartition && o.Offset.Value > input.Offset.Value))
                {
                    _violations.Add($"transaction {_commits} committed the outputs of {input} without its offset (offsets: {string.Join(" ", offsets)})");
                }

                _committed.Add(input);
            }

            _open.Clear();
        }

        Record($"committed {offsets.Count} offsets; {CommittedInputs} inputs committed, {Forwarded} forwarded");
        Changed?.Invoke();
    }

    public void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo)
    {
        lock (_lock)
        {
            _aborts++;
            _open.Clear();
        }

        Record($"aborted: {error.Code} {error.Reason}");
        Volatile.Read(ref _abort).TrySetResult();

        Changed?.Invoke();
    }

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
        Record($"lost {string.Join(", ", partitions)}");
        _lost.TrySetResult();
    }

    public void OnError(Error error)
    {
        Errors.Enqueue(error);
        Record($"error: {error.Code} {error.Reason}");
        Volatile.Read(ref _error).TrySetResult();
    }

    private void Record(string what) => _timeline.Enqueue($"{_clock.Elapsed.TotalSeconds:F2} s {what}");

    private T Locked<T>(Func<T> read)
    {
        lock (_lock)
        {
            return read();
        }
    }
}
