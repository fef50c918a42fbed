using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// One input's outputs, handed to the producer: settled when the broker acknowledged each of them
/// with an offset, or failed with an <see cref="OutputDeliveryException"/> naming every output that
/// was not. <see cref="Resend"/> sends only those again. The producer's delivery reports (its own
/// thread) record results and call the engine back there.
/// </summary>
internal sealed class OutputDelivery : IPendingAcknowledgement
{
    private readonly OutputProducer _producer;
    private readonly IReadOnlyList<OutputRecord> _outputs;
    private readonly Action<IReadOnlyList<TopicPartitionOffset>>? _onAcknowledged;
    private readonly TopicPartitionOffset?[] _written;
    private readonly Error?[] _errors;
    private readonly int[] _unconfirmedResends;
    private const int Pending = 0, Settled = 1, Listening = 2;

    private int _outstanding;

    // Who is told, and how it ended: whichever of WhenSettled and the last delivery report comes
    // second (by _state) makes the call, so it is made exactly once.
    private int _state;
    private Action<WorkItem, IPendingAcknowledgement, Exception?>? _settled;
    private WorkItem? _item;
    private Exception? _failure;

    public OutputDelivery(OutputProducer producer, IReadOnlyList<OutputRecord> outputs, Action<IReadOnlyList<TopicPartitionOffset>>? onAcknowledged)
    {
        _producer = producer;
        _outputs = outputs;
        _onAcknowledged = onAcknowledged;
        _written = new TopicPartitionOffset?[outputs.Count];
        _errors = new Error?[outputs.Count];
        _unconfirmedResends = new int[outputs.Count];
    }

    public void WhenSettled(Action<WorkItem, IPendingAcknowledgement, Exception?> settled, WorkItem item)
    {
        _settled = settled;
        _item = item;
        if (Interlocked.CompareExchange(ref _state, Listening, Pending) == Settled)
        {
            settled(item, this, _failure);
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
        var failed = Enumerable.Range(0, _outputs.Count).Where(i => _errors[i] is not null).ToList();
        _failure = null;
        _settled = null;
        Volatile.Write(ref _state, Pending);
        _producer.Window.Force(failed.Count, failed.Sum(i => OutputProducer.SizeOf(_outputs[i])));
        foreach (var i in failed)
        {
            _errors[i] = null;
        }

        Volatile.Write(ref _outstanding, failed.Count);
        foreach (var i in failed)
        {
            Send(i);
        }

        return this;
    }

    private void Send(int index) => _producer.Produce(_outputs[index], report => Delivered(index, report));

    private void Delivered(int index, DeliveryReport<byte[]?, byte[]?> report)
    {
        if (!report.Error.IsError && report.Offset.Value < 0 && _unconfirmedResends[index] < UnconfirmedDelivery.MaxResends)
        {
            // Acknowledged as a duplicate with no offset: see UnconfirmedDelivery. Sent again, off
            // the producer's delivery thread; it stays outstanding and keeps its room in the window.
            _unconfirmedResends[index]++;
            ThreadPool.QueueUserWorkItem(_ => _producer.Produce(_outputs[index], again => Delivered(index, again)));
            return;
        }

        _producer.Window.Leave(1, OutputProducer.SizeOf(_outputs[index]));
        if (report.Error.IsError)
        {
            _errors[index] = report.Error;
        }
        else
        {
            _written[index] = report.TopicPartitionOffset;
        }

        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            Complete();
        }
    }

    private void Complete()
    {
        if (Array.TrueForAll(_errors, e => e is null))
        {
            _onAcknowledged?.Invoke(Array.ConvertAll(_written, w => w!));
            Settle(null);
            return;
        }

        var errors = _errors.OfType<Error>().ToList();
        if (errors.FirstOrDefault(e => e.IsFatal) is { } fatal)
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
            _settled!(_item!, this, failure);
        }
    }
}
