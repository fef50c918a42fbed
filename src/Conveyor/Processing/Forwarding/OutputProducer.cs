using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Native.Producing;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Writes a message's outputs: handed off (<see cref="HandAsync"/>, pipelined, within a bounded
/// window of unacknowledged outputs) or waited for (<see cref="SendAllAsync"/>, for transactions).
/// The producer comes from <see cref="ProducerFactory"/>: idempotent by default (no duplicates or
/// reordering from its own retries, so records for one partition land in the order they were
/// handed over); the user's properties override the defaults.
/// </summary>
internal sealed class OutputProducer : IDisposable
{
    // A borrowed producer has no window to size the pool by (an exactly-once forwarder's waits for
    // each output with SendAllAsync and never hands any off).
    private const int BorrowedPoolCapacity = 1_024;

    private readonly IOutputSender _sender;
    private readonly IProducer<byte[]?, byte[]?>? _producer;
    private readonly bool _owned;
    private readonly Action<Error> _onFatal;
    private readonly IForwardingObserver? _forwarded;
    private readonly OutputDeliveryPool _deliveries;
    private readonly ReportBatch _batch;

    /// <summary>Writes through a producer owned by someone else (the transactional one of an exactly-once forwarder).</summary>
    public OutputProducer(IProducer<byte[]?, byte[]?> producer)
    {
        _producer = producer;
        _sender = new ConfluentOutputSender(producer, owned: false);
        _onFatal = _ => { };
        Window = new OutputWindow(int.MaxValue, long.MaxValue);
        _deliveries = new OutputDeliveryPool(BorrowedPoolCapacity);
        _batch = new ReportBatch(Window, _deliveries);
    }

    /// <param name="client">Bootstrap servers and the user's librdkafka properties.</param>
    /// <param name="window">The bounds of unacknowledged outputs, and which producer writes them (<see cref="ForwardingOptions.NativeProducer"/>).</param>
    /// <param name="events">Hears the producer's errors and log lines, and each input whose outputs were all acknowledged.</param>
    /// <param name="onFatal">Told when the producer or an output failed with a fatal error: the producer is unusable.</param>
    public OutputProducer(KafkaClientProperties client, ForwardingOptions window, Engine.IEngineEvents events, Action<Error> onFatal)
        : this(Sender(client, window, events, onFatal), window, events, onFatal)
    {
    }

    /// <summary>Writes through <paramref name="producer"/>, which it owns from now on.</summary>
    internal OutputProducer(IProducer<byte[]?, byte[]?> producer, ForwardingOptions window, IForwardingObserver? forwarded, Action<Error> onFatal)
        : this((new ConfluentOutputSender(producer, owned: true), producer), window, forwarded, onFatal)
    {
    }

    /// <summary>Writes through <paramref name="sender"/>, which it owns from now on.</summary>
    internal OutputProducer(IOutputSender sender, ForwardingOptions window, IForwardingObserver? forwarded, Action<Error> onFatal)
        : this((sender, null), window, forwarded, onFatal)
    {
    }

    private OutputProducer((IOutputSender Sender, IProducer<byte[]?, byte[]?>? Producer) sender, ForwardingOptions window, IForwardingObserver? forwarded, Action<Error> onFatal)
    {
        _owned = true;
        _onFatal = onFatal;
        _forwarded = Listening(forwarded);
        Window = new OutputWindow(window.MaxUnacknowledgedOutputs, window.MaxUnacknowledgedBytes);
        // Every input in flight has at least one output in the window: no more deliveries than that are ever needed at once.
        _deliveries = new OutputDeliveryPool(window.MaxUnacknowledgedOutputs);
        _batch = new ReportBatch(Window, _deliveries);
        (_sender, _producer) = sender;
        _sender.ReportInBatches(_batch);
    }

    /// <summary>The forwarding observers, or null when nobody listens (the engine's events with no forwarding observer among them).</summary>
    internal static IForwardingObserver? Listening(IForwardingObserver? forwarded) =>
        forwarded is CompositeObserver { HearsForwarded: false } ? null : forwarded;

    /// <summary>The sender a forwarder with these options writes through, and Confluent.Kafka's producer under it if it is that one.</summary>
    internal static (IOutputSender Sender, IProducer<byte[]?, byte[]?>? Producer) Sender(KafkaClientProperties client, ForwardingOptions window, Engine.IEngineEvents events, Action<Error> onFatal)
    {
        if (window.NativeProducer)
        {
            return (NativeProducer.Create(ProducerFactory.Config(client, Linger), events.OnError, events.ClientLog, onFatal), null);
        }

        var producer = ProducerFactory.Build(client, Linger, events, onFatal);
        return (new ConfluentOutputSender(producer, owned: true), producer);
    }

    /// <summary>How long output producers wait to fill a batch: a message's outputs are sent together.</summary>
    public static TimeSpan Linger { get; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Where a resend off the producer's delivery thread, and a sender admitted to a full window, run: the thread pool, or a simulator's event.</summary>
    internal EngineRuntime Runtime
    {
        get => Window.Runtime;
        init => Window.Runtime = value;
    }

    /// <summary>Outputs handed off and not yet acknowledged.</summary>
    public OutputWindow Window { get; }

    /// <summary>
    /// Waits for room in the window, then hands every output to the producer, in order, without
    /// waiting for acknowledgements: the returned delivery completes when all are acknowledged.
    /// </summary>
    /// <param name="outputs">At least one output.</param>
    /// <param name="input">The input they came from: the forwarding observers hear of it with where each output was written, once all were; null: nobody is told.</param>
    /// <param name="cancellationToken">Cancels the wait for room.</param>
    public ValueTask<OutputDelivery> HandAsync(IReadOnlyList<OutputRecord> outputs, ForwardedInput? input, CancellationToken cancellationToken)
    {
        long bytes = 0;
        for (var i = 0; i < outputs.Count; i++) // not foreach: an interface's enumerator is an allocation
        {
            bytes += SizeOf(outputs[i]);
        }

        // Most inputs find room at once (their worker waited for it before it took them: OutputWindow.Room.cs): they go without an async state machine.
        var entered = Window.EnterAsync(outputs.Count, bytes, cancellationToken);
        return entered.IsCompletedSuccessfully ? new ValueTask<OutputDelivery>(Start(outputs, input, bytes)) : HandWhenEnteredAsync(entered, outputs, input, bytes);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // an input larger than the room its worker held waits: no state machine each
    private async ValueTask<OutputDelivery> HandWhenEnteredAsync(ValueTask entered, IReadOnlyList<OutputRecord> outputs, ForwardedInput? input, long bytes)
    {
        await entered.ConfigureAwait(false);
        return Start(outputs, input, bytes);
    }

    private OutputDelivery Start(IReadOnlyList<OutputRecord> outputs, ForwardedInput? input, long bytes)
    {
        var delivery = _deliveries.Take() ?? new OutputDelivery(this);
        delivery.Reset(outputs, input, bytes);
        delivery.Start();
        return delivery;
    }

    internal static long SizeOf(OutputRecord output) => (output.Key?.Length ?? 0) + (output.Value?.Length ?? 0);

    /// <summary>Deliveries kept for reuse now.</summary>
    internal int PooledDeliveries => _deliveries.Count;

    internal void OnFatal(Error error) => _onFatal(error);

    /// <summary>Whether a forwarding observer listens: without one, nothing is made for it.</summary>
    internal bool TellsForwarded => _forwarded is not null;

    internal void Forwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> written) => _forwarded?.OnForwarded(input, written);

    /// <summary>Takes back a delivery that was confirmed and told (with the rest of its batch of reports, on the thread serving them).</summary>
    internal void Return(OutputDelivery delivery) => _batch.Return(delivery);

    /// <summary>Gives back the room of reported outputs (with the rest of their batch of reports, on the thread serving them).</summary>
    internal void Leave(int outputs, long bytes) => _batch.Leave(outputs, bytes);

    /// <summary>Hands one output to the sender; a record refused before it was queued (e.g. too large) is reported to its slot at once.</summary>
    internal void Send(OutputRecord output, OutputSlot slot) => _sender.Send(output, slot);

    /// <summary>
    /// Writes all outputs at once and waits for every acknowledgement.
    /// </summary>
    /// <returns>Where each output was written, in the order given.</returns>
    /// <exception cref="OutputDeliveryException">At least one output was not acknowledged (the others may have been written).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before every acknowledgement arrived.</exception>
    public async Task<IReadOnlyList<TopicPartitionOffset>> SendAllAsync(IReadOnlyList<OutputRecord> outputs, CancellationToken cancellationToken)
    {
        if (outputs.Count == 0)
        {
            return [];
        }

        var deliveries = new Task<DeliveryResult<byte[]?, byte[]?>>[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            deliveries[i] = Send(outputs[i], cancellationToken);
        }

        try
        {
            await Task.WhenAll(deliveries).ConfigureAwait(false);
        }
        catch (Exception) when (deliveries.All(d => d.IsCompleted))
        {
            // Reported below with every failed output, not just the first.
        }

        var failures = deliveries.Where(d => d.IsFaulted).Select(d => d.Exception!.InnerException!).ToList();
        if (failures.Count > 0)
        {
            var errors = failures.Select(e => e is KafkaException k ? k.Error : new Error(ErrorCode.Local_Fail, e.Message)).ToList();
            throw new OutputDeliveryException(
                $"{failures.Count} of {outputs.Count} outputs were not acknowledged: {string.Join("; ", errors.Select(e => $"{e.Code}: {e.Reason}").Distinct())}",
                errors,
                failures[0]);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var written = deliveries.Select(d => d.Result.TopicPartitionOffset).ToArray();
        for (var i = 0; _owned && i < written.Length; i++) // a transactional producer's records commit together: never re-sent
        {
            var output = outputs[i];
            written[i] = await UnconfirmedDelivery.ConfirmAsync(written[i], () => Send(output, cancellationToken)).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>Flushes (up to 10 s) and closes an owned producer; the native one fails what is still unacknowledged after that.</summary>
    public void Dispose() => _sender.Dispose();

    private Task<DeliveryResult<byte[]?, byte[]?>> Send(OutputRecord output, CancellationToken cancellationToken)
    {
        if (_producer is null)
        {
            // Only exactly-once forwarding waits for each output, and it keeps Confluent.Kafka's transactional producer.
            throw new InvalidOperationException("The native output producer only hands outputs off; waiting for each needs Confluent.Kafka's producer.");
        }

        try
        {
            return _producer.ProduceAsync(output.Destination, output.ToMessage(), cancellationToken);
        }
        catch (Exception e) when (e is KafkaException or ArgumentException)
        {
            // Rejected before it was queued (e.g. too large): fail this output like a failed delivery.
            return Task.FromException<DeliveryResult<byte[]?, byte[]?>>(e);
        }
    }
}
