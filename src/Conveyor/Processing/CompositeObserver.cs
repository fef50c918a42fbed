using Confluent.Kafka;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing;

/// <summary>
/// Passes every event to each of its observers, in the order given: the processor events to all,
/// <see cref="IForwardingObserver.OnForwarded"/> to those that are forwarding observers, the
/// transaction events to those that are transaction observers. Derive from it to act on some
/// events and pass every event on: override an event, do the work, call the base method. Because
/// this class implements every event, an event added to the interfaces cannot be dropped by a
/// wrapper that forgot it.
/// </summary>
public class CompositeObserver : IForwardingObserver, ITransactionObserver
{
    private readonly IProcessorObserver[] _observers;

    /// <summary>Creates an observer that passes every event to <paramref name="observers"/> (nulls are skipped).</summary>
    /// <param name="observers">The observers, called in this order.</param>
    public CompositeObserver(params IProcessorObserver?[] observers)
    {
        ArgumentNullException.ThrowIfNull(observers);
        _observers = [.. observers.OfType<IProcessorObserver>()];
        HearsForwarded = OverridesOnForwarded(GetType()) || _observers.Any(Hears);
    }

    /// <summary>
    /// Whether anyone hears <see cref="OnForwarded"/>: a type of this chain that overrides it, or an
    /// observer down the chain that is a forwarding observer. Without one a forwarder makes no
    /// <see cref="TopicPartitionOffset"/>s for the event (one per input and output).
    /// </summary>
    internal bool HearsForwarded { get; }

    private static bool Hears(IProcessorObserver observer) =>
        observer is CompositeObserver composite ? composite.HearsForwarded : observer is IForwardingObserver;

    private static bool OverridesOnForwarded(Type type) =>
        type.GetMethod(nameof(OnForwarded), [typeof(TopicPartitionOffset), typeof(IReadOnlyList<TopicPartitionOffset>)])?.DeclaringType != typeof(CompositeObserver);

    /// <inheritdoc />
    public virtual void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => Each(o => o.OnPartitionsAssigned(partitions));

    /// <inheritdoc />
    public virtual void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => Each(o => o.OnPartitionsRevoked(partitions));

    /// <inheritdoc />
    public virtual void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => Each(o => o.OnPartitionsLost(partitions));

    /// <inheritdoc />
    public virtual void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Each(o => o.OnCommitted(offsets));

    /// <inheritdoc />
    public virtual void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => Each(o => o.OnCommitFailed(offsets, error));

    /// <inheritdoc />
    public virtual void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) =>
        Each(o => o.OnRetrying(message, failedAttempt, exception, delay));

    /// <inheritdoc />
    public virtual void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        Each(o => o.OnDeadLettered(message, deadLetter, exception));

    /// <inheritdoc />
    public virtual void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => Each(o => o.OnPartitionStopped(message, exception));

    /// <inheritdoc />
    public virtual void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => Each(o => o.OnBackPressure(partitions, paused));

    /// <inheritdoc />
    public virtual void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) =>
        Each(o => o.OnPartitionStalled(position, endOffset, idle));

    /// <inheritdoc />
    public virtual void OnPartitionStallEnded(TopicPartition partition) => Each(o => o.OnPartitionStallEnded(partition));

    /// <inheritdoc />
    public virtual void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages) => Each(o => o.OnFinishedSkipped(messages));

    /// <inheritdoc />
    public virtual void OnFailureTopicsMissing(IReadOnlyList<string> topics) => Each(o => o.OnFailureTopicsMissing(topics));

    /// <inheritdoc />
    public virtual void OnOtherGroupSkipped(IReadOnlyList<TopicPartitionOffset> messages) => Each(o => o.OnOtherGroupSkipped(messages));

    /// <inheritdoc />
    public virtual void OnCompletionsFull(TopicPartitionOffset unfinished, bool full) => Each(o => o.OnCompletionsFull(unfinished, full));

    /// <inheritdoc />
    public virtual void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => Each(o => o.OnCompletionsUnreadable(committed, problem));

    /// <inheritdoc />
    public virtual void OnUnavailable(string problem) => Each(o => o.OnUnavailable(problem));

    /// <inheritdoc />
    public virtual void OnError(Error error) => Each(o => o.OnError(error));

    /// <inheritdoc />
    public virtual void OnClientLog(LogMessage message) => Each(o => o.OnClientLog(message));

    /// <inheritdoc />
    public virtual void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
        foreach (var observer in _observers)
        {
            (observer as IForwardingObserver)?.OnForwarded(input, outputs);
        }
    }

    /// <inheritdoc />
    public virtual void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var observer in _observers)
        {
            (observer as ITransactionObserver)?.OnTransactionCommitted(offsets);
        }
    }

    /// <inheritdoc />
    public virtual void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo)
    {
        foreach (var observer in _observers)
        {
            (observer as ITransactionObserver)?.OnTransactionAborted(error, rewoundTo);
        }
    }

    private void Each(Action<IProcessorObserver> call)
    {
        foreach (var observer in _observers)
        {
            call(observer);
        }
    }
}
