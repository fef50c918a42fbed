using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// One input's outputs, handed to the producer: settled when the broker acknowledged each of them
/// with an offset, or failed with an <see cref="OutputDeliveryException"/> naming every output that
/// was not. <see cref="Resend"/> sends only those again. The producer's delivery reports (its own
/// thread) record results and call the engine back there.
/// </summary>
/// <remarks>
/// Reused (<see cref="OutputDeliveryPool"/>): an input's delivery state lives for the broker's round
/// trip, long enough to be promoted out of the garbage collector's youngest generation, which was
/// most of what forwarding cost. A pooled one stays put in the oldest instead, with its
/// <see cref="OutputSlot"/>s and their delivery handlers. It goes back to the pool only after a
/// confirmed settle has been told: a failed one may still be sent again, so it is left to the
/// collector.
/// </remarks>
internal sealed class OutputDelivery : IPendingAcknowledgement, IOutputReports
{
    private const int Pending = 0, Settled = 1, Listening = 2;

    private readonly OutputProducer _producer;
    private readonly List<OutputSlot> _slots = [];
    private IReadOnlyList<OutputRecord> _outputs = [];
    private ForwardedInput? _input;
    private int _outstanding;

    // The room this input holds in the window: all its outputs, or those sent again. Given back
    // when the last report came: at once, or with the rest of its batch of reports (ReportBatch).
    private int _heldOutputs;
    private long _heldBytes;

    // Who is told, and how it ended: whichever of WhenSettled and the last delivery report comes
    // second (by _state) makes the call, so it is made exactly once.
    private int _state;
    private Action<WorkItem, IPendingAcknowledgement, Exception?>? _settled;
    private WorkItem? _item;
    private Exception? _failure;

    public OutputDelivery(OutputProducer producer) => _producer = producer;

    /// <summary>Takes on one input's outputs: nothing of an earlier input is left.</summary>
    /// <param name="outputs">At least one output.</param>
    /// <param name="input">The input they came from, told to the forwarding observers once all are acknowledged; null: nobody is told.</param>
    /// <param name="bytes">Their keys' and values' bytes, the room they took in the window.</param>
    public void Reset(IReadOnlyList<OutputRecord> outputs, ForwardedInput? input, long bytes)
    {
        _outputs = outputs;
        _heldOutputs = outputs.Count;
        _heldBytes = bytes;
        _input = input;
        _failure = null;
        _settled = null;
        _item = null;
        _state = Pending;
        for (var i = _slots.Count; i < outputs.Count; i++)
        {
            _slots.Add(new OutputSlot(this, i));
        }

        for (var i = 0; i < outputs.Count; i++)
        {
            _slots[i].Reset();
        }
    }

    public void WhenSettled(Action<WorkItem, IPendingAcknowledgement, Exception?> settled, WorkItem item)
    {
        _settled = settled;
        _item = item;
        if (Interlocked.CompareExchange(ref _state, Listening, Pending) == Settled)
        {
            Tell(settled, item, _failure);
        }
    }

    /// <summary>Hands every output to the producer, in order.</summary>
    public void Start()
    {
        Volatile.Write(ref _outstanding, _outputs.Count);
        for (var i = 0; i < _outputs.Count; i++)
        {
            Send(i);
        }
    }

    public IPendingAcknowledgement Resend()
    {
        var failed = Enumerable.Range(0, _outputs.Count).Where(i => _slots[i].Error is not null).ToList();
        _failure = null;
        _settled = null;
        Volatile.Write(ref _state, Pending);
        _heldOutputs = failed.Count;
        _heldBytes = failed.Sum(i => OutputProducer.SizeOf(_outputs[i]));
        _producer.Window.Force(_heldOutputs, _heldBytes);
        foreach (var i in failed)
        {
            _slots[i].Error = null;
        }

        Volatile.Write(ref _outstanding, failed.Count);
        foreach (var i in failed)
        {
            Send(i);
        }

        return this;
    }

    private void Send(int index) => _producer.Send(_outputs[index], _slots[index]);

    /// <summary>A delivery report for output <paramref name="index"/>, on the producer's delivery thread (or the sending worker's, for a record refused at once).</summary>
    public void Delivered(int index, Error error, Partition partition, Offset offset)
    {
        var slot = _slots[index];
        if (!error.IsError && offset.Value < 0 && slot.UnconfirmedResends < UnconfirmedDelivery.MaxResends)
        {
            // Acknowledged as a duplicate with no offset: see UnconfirmedDelivery. Sent again, off
            // the producer's delivery thread; it stays outstanding and keeps its room in the window.
            slot.UnconfirmedResends++;
            SendLater(index);
            return;
        }

        if (error.IsError)
        {
            slot.Error = error;
        }
        else
        {
            slot.Written(partition, offset);
        }

        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            Complete();
        }
    }

    // Apart from Delivered, whose every call would otherwise make this closure.
    private void SendLater(int index) => _producer.Runtime.Detach(_ => Send(index), null);

    private void Complete()
    {
        _producer.Leave(_heldOutputs, _heldBytes);
        var failed = 0;
        Error? fatal = null;
        for (var i = 0; i < _outputs.Count; i++)
        {
            if (_slots[i].Error is { } error)
            {
                failed++;
                fatal ??= error.IsFatal ? error : null;
            }
        }

        if (failed == 0)
        {
            if (_input is { } input && _producer.TellsForwarded)
            {
                var written = new TopicPartitionOffset[_outputs.Count];
                for (var i = 0; i < written.Length; i++)
                {
                    written[i] = new TopicPartitionOffset(_outputs[i].Topic, _slots[i].Partition, _slots[i].Offset);
                }

                _producer.Forwarded(input.ToTopicPartitionOffset(), written);
            }

            Settle(null);
            return;
        }

        var errors = Enumerable.Range(0, _outputs.Count).Select(i => _slots[i].Error).OfType<Error>().ToList();
        if (fatal is not null)
        {
            // The producer is unusable: every later output would fail too. The processor stops;
            // this input stays unfinished.
            _producer.OnFatal(fatal);
            Settle(new OperationCanceledException($"The output producer failed fatally: {fatal.Code}: {fatal.Reason}"));
            return;
        }

        Settle(new OutputDeliveryException(
            $"{errors.Count} of {_outputs.Count} outputs were not acknowledged: {string.Join("; ", errors.Select(e => $"{e.Code}: {e.Reason}").Distinct())}",
            errors));
    }

    /// <summary>
    /// Tells the engine, on the producer's delivery thread: finishing a confirmed input is a lock
    /// and a counter; anything slower (a retry's delay, a dead letter) goes off this thread.
    /// </summary>
    private void Settle(Exception? failure)
    {
        _failure = failure;
        if (Interlocked.CompareExchange(ref _state, Settled, Pending) == Listening)
        {
            Tell(_settled!, _item!, failure);
        }
    }

    /// <summary>Tells the engine; once it has heard of a confirmed delivery nothing uses this one any more, and it is reused.</summary>
    private void Tell(Action<WorkItem, IPendingAcknowledgement, Exception?> settled, WorkItem item, Exception? failure)
    {
        settled(item, this, failure);
        if (failure is null)
        {
            _outputs = [];
            _input = null;
            _settled = null;
            _item = null;
            _producer.Return(this);
        }
    }
}
