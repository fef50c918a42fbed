using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A transactional producer without a broker for the poll loop's exactly-once tests. Handlers write
/// their inputs' outputs into the open transaction (<see cref="Write"/>); a commit stores the
/// offsets sent with it (in the fake consumer, as a broker would) and is checked against the rule
/// exactly-once rests on: every committed transaction carries the offset of every input whose
/// outputs it holds. Calls can be made to fail with the error kinds librdkafka gives.
/// </summary>
internal sealed class RecordingTransactionalProducer(Action<IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)>> storeOffsets) : TransactionalProducerDouble
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly Lock _lock = new();
    private readonly List<TopicPartitionOffset> _outputs = [];
    private readonly List<TopicPartitionOffset> _offsets = [];
    private readonly List<(TopicPartitionOffset Offset, string Metadata)> _sent = [];
    private readonly List<(IReadOnlyList<TopicPartitionOffset> Outputs, IReadOnlyList<TopicPartitionOffset> Offsets)> _committed = [];
    private readonly List<string> _calls = [];
    private readonly List<string> _violations = [];
    private readonly Dictionary<TransactionCall, Queue<KafkaException>> _failures = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private readonly ManualResetEventSlim _hangsReleased = new(initialState: true);
    private TransactionCall? _hang;
    private bool _open;
    private bool _abortable;
    private bool _notifying;

    public enum TransactionCall
    {
        Begin,
        SendOffsets,
        Commit,
        Abort,
    }

    public override string Name => "recording-transactional";

    /// <summary>The calls in order: "begin", "send orders [[0]] @2", "commit", "abort", and the failed ones as "commit failed (...)".</summary>
    public IReadOnlyList<string> Calls => Locked(() => _calls.ToList());

    /// <summary>Committed transactions: the inputs whose outputs each held, and the offsets sent with it.</summary>
    public IReadOnlyList<(IReadOnlyList<TopicPartitionOffset> Outputs, IReadOnlyList<TopicPartitionOffset> Offsets)> Committed => Locked(() => _committed.ToList());

    /// <summary>Every input whose outputs were committed, once per commit that held them.</summary>
    public IReadOnlyList<TopicPartitionOffset> CommittedOutputs => Locked(() => _committed.SelectMany(c => c.Outputs).ToList());

    /// <summary>Each break of the rule: an output committed without its input's offset, or written outside a transaction.</summary>
    public IReadOnlyList<string> Violations => Locked(() => _violations.ToList());

    /// <summary>The next calls of this kind throw these, one per call, in order.</summary>
    public void FailNext(TransactionCall call, params KafkaException[] errors) => Locked(() =>
    {
        if (!_failures.TryGetValue(call, out var queue))
        {
            _failures[call] = queue = new Queue<KafkaException>();
        }

        foreach (var error in errors)
        {
            queue.Enqueue(error);
        }

        return 0;
    });

    /// <summary>The next call of this kind does not return (whatever its timeout) until <see cref="ReleaseHangs"/>, as librdkafka's can when a coordinator's broker went away.</summary>
    public void HangNext(TransactionCall call) => Locked(() =>
    {
        _hang = call;
        _hangsReleased.Reset();
    });

    public void ReleaseHangs() => _hangsReleased.Set();

    /// <summary>The header an output written through the producer (<see cref="ProduceAsync"/>) names its input in.</summary>
    public const string InputHeader = "input";

    /// <summary>
    /// For each output written through the producer, by its input: the error its delivery fails with
    /// (as librdkafka reports a record it gave up on), or null when it is written. A failed write
    /// makes the transaction abortable, as in librdkafka: committing it is a violation.
    /// </summary>
    public Func<TopicPartitionOffset, Error?>? Rejects { get; set; }

    /// <summary>How an input is named in <see cref="InputHeader"/>.</summary>
    public static string Describe(TopicPartitionOffset input) => $"{input.Topic}/{input.Partition.Value}/{input.Offset.Value}";

    public override Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default)
    {
        var named = Encoding.UTF8.GetString(message.Headers.GetLastBytes(InputHeader)).Split('/');
        var input = new TopicPartitionOffset(named[0], int.Parse(named[1], CultureInfo.InvariantCulture), long.Parse(named[2], CultureInfo.InvariantCulture));
        if (Rejects?.Invoke(input) is { } error)
        {
            Locked(() =>
            {
                _abortable = true;
                _calls.Add($"output of {input} failed ({error.Code})");
            });
            return Task.FromException<DeliveryResult<byte[]?, byte[]?>>(new ProduceException<byte[]?, byte[]?>(error, new DeliveryResult<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(topicPartition, Offset.Unset), Message = message }));
        }

        Write(input);
        return Task.FromResult(new DeliveryResult<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(topicPartition, new Offset(0)), Message = message });
    }

    public static KafkaException Retriable() => new KafkaRetriableException(new Error(ErrorCode.Local_TimedOut, "timed out (retriable)"));

    public static KafkaException Abortable() => new KafkaTxnRequiresAbortException(new Error(ErrorCode.IllegalGeneration, "stale generation (abortable)"));

    public static KafkaException Fatal() => new(new Error(ErrorCode.ProducerFenced, "fenced by a newer producer (fatal)", isFatal: true));

    /// <summary>A handler wrote the outputs of <paramref name="input"/> into the open transaction.</summary>
    public void Write(TopicPartitionOffset input) => Locked(() =>
    {
        if (!_open)
        {
            _violations.Add($"output of {input} written with no open transaction");
        }

        _outputs.Add(input);
        _calls.Add($"write {input}");
        return 0;
    });

    /// <summary>Completes once <paramref name="condition"/> (asked under the producer's lock, after every call) holds.</summary>
    public Task WaitUntilAsync(Func<RecordingTransactionalProducer, bool> condition)
    {
        lock (_lock)
        {
            if (condition(this))
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((() => condition(this), done));
            return done.Task.WaitAsync(Patience);
        }
    }

    public override void InitTransactions(TimeSpan timeout) => Locked(() => _calls.Add("init"));

    public override void BeginTransaction() => Locked(() =>
    {
        Fail(TransactionCall.Begin);
        if (_open)
        {
            _violations.Add("begin while a transaction is open");
        }

        _open = true;
        _calls.Add("begin");
    });

    public override void SendOffsetsToTransaction(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout)
    {
        Hang(TransactionCall.SendOffsets);
        var sent = offsets.Select(o => o.ToTopicPartitionOffset()).ToList();
        Locked(() =>
        {
            _sent.AddRange(offsets.Select(o => (o.ToTopicPartitionOffset(), o.Metadata)));
            Fail(TransactionCall.SendOffsets, $" {string.Join(" ", sent)}");
            _offsets.AddRange(sent);
            _calls.Add($"send {string.Join(" ", sent)}");
        });
    }

    public override void CommitTransaction(TimeSpan timeout)
    {
        IReadOnlyList<(TopicPartitionOffset, string)> offsets = [];
        (IReadOnlyList<TopicPartitionOffset> Outputs, IReadOnlyList<TopicPartitionOffset> Offsets) committed = default;
        Locked(() =>
        {
            Fail(TransactionCall.Commit);
            if (_abortable)
            {
                _violations.Add("a transaction with a failed output was committed");
            }

            foreach (var output in _outputs)
            {
                // Covered when the offset sent passes it, or its metadata names it finished (persisted completions).
                if (!_sent.Any(o => o.Offset.TopicPartition == output.TopicPartition && (o.Offset.Offset.Value > output.Offset.Value || FinishedAbove(o).Contains(output.Offset.Value))))
                {
                    _violations.Add($"output of {output} committed without its offset (offsets sent: {string.Join(" ", _offsets)})");
                }
            }

            committed = (_outputs.ToList(), _offsets.ToList());
            offsets = _sent.ToList();
            End("commit");
        });

        // The consumer holds the offsets before the commit is seen: a test that waits for an
        // output to be committed then reads the committed offset (at once, in the same step, as
        // a broker's commit is one act). The engine begins its next transaction only after this
        // returns, so the committed list keeps the transactions' order.
        storeOffsets(offsets);
        Locked(() => _committed.Add(committed));
    }

    public override void AbortTransaction(TimeSpan timeout) => Locked(() =>
    {
        Fail(TransactionCall.Abort);
        End("abort");
    });

    private void Hang(TransactionCall call)
    {
        var hangs = Locked(() =>
        {
            if (_hang != call)
            {
                return false;
            }

            _hang = null;
            _calls.Add($"{call} hangs");
            return true;
        });
        if (hangs)
        {
            _hangsReleased.Wait();
        }
    }

    private void End(string call)
    {
        _outputs.Clear();
        _offsets.Clear();
        _sent.Clear();
        _open = false;
        _abortable = false;
        _calls.Add(call);
    }

    /// <summary>Throws the next failure queued for this call, recording it. Under the lock.</summary>
    private void Fail(TransactionCall call, string detail = "")
    {
        if (_failures.TryGetValue(call, out var queue) && queue.TryDequeue(out var error))
        {
            _calls.Add($"{call} failed{detail} ({error.Error.Reason})");
            Changed();
            throw error;
        }
    }

    private void Locked(Action action) => Locked(() =>
    {
        action();
        return 0;
    });

    private T Locked<T>(Func<T> read)
    {
        lock (_lock)
        {
            var result = read();
            Changed();
            return result;
        }
    }

    private void Changed()
    {
        if (_notifying)
        {
            return; // a condition read the producer's state: it is asked again after the next call
        }

        _notifying = true;
        try
        {
            Notify();
        }
        finally
        {
            _notifying = false;
        }
    }

    private void Notify()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Condition())
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    private static List<long> FinishedAbove((TopicPartitionOffset Offset, string Metadata) sent)
    {
        var finished = new List<long>();
        if (sent.Metadata.Length > 0 && CompletionEncoding.Decode(sent.Metadata, sent.Offset.Offset.Value, out _) is { } map)
        {
            map.AddAbove(sent.Offset.Offset.Value, finished);
        }

        return finished;
    }
}
