using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// One input's outputs, handed to the producer: completes when the broker acknowledged each of
/// them with an offset, or faults with an <see cref="OutputDeliveryException"/> naming every output
/// that was not. <see cref="Resend"/> sends only those again. The producer's delivery reports
/// (its own thread) record results; the engine awaits <see cref="Acknowledged"/>.
/// </summary>
internal sealed class OutputDelivery : IPendingAcknowledgement
{
    private const int MaxUnconfirmedResends = 3;

    private readonly OutputProducer _producer;
    private readonly IReadOnlyList<OutputRecord> _outputs;
    private readonly Action<IReadOnlyList<TopicPartitionOffset>>? _onAcknowledged;
    private readonly TopicPartitionOffset?[] _written;
    private readonly Error?[] _errors;
    private readonly int[] _unconfirmedResends;
    private TaskCompletionSource _acknowledged = NewCompletion();
    private int _outstanding;

    public OutputDelivery(OutputProducer producer, IReadOnlyList<OutputRecord> outputs, Action<IReadOnlyList<TopicPartitionOffset>>? onAcknowledged)
    {
        _producer = producer;
        _outputs = outputs;
        _onAcknowledged = onAcknowledged;
        _written = new TopicPartitionOffset?[outputs.Count];
        _errors = new Error?[outputs.Count];
        _unconfirmedResends = new int[outputs.Count];
    }

    public Task Acknowledged => _acknowledged.Task;

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
        _acknowledged = NewCompletion();
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
        if (!report.Error.IsError && report.Offset.Value < 0 && _unconfirmedResends[index] < MaxUnconfirmedResends)
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
            _acknowledged.TrySetResult();
            return;
        }

        var errors = _errors.OfType<Error>().ToList();
        if (errors.FirstOrDefault(e => e.IsFatal) is { } fatal)
        {
            // The producer is unusable: every later output would fail too. The processor stops;
            // this input stays unfinished.
            _producer.OnFatal(fatal);
            _acknowledged.TrySetCanceled();
            return;
        }

        _acknowledged.TrySetException(new OutputDeliveryException(
            $"{errors.Count} of {_outputs.Count} outputs were not acknowledged: {string.Join("; ", errors.Select(e => $"{e.Code}: {e.Reason}").Distinct())}",
            errors));
    }

    // The continuation (the engine finishing the input: a lock and a counter) runs on the
    // producer's delivery thread, saving a thread-pool hop per input; anything slower it does
    // (a retry's delay, a dead letter) awaits and leaves that thread.
    private static TaskCompletionSource NewCompletion() => new();
}
