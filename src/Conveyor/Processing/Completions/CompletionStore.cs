using Confluent.Kafka;
using Conveyor.Processing.Commits;

namespace Conveyor.Processing.Completions;

/// <summary>
/// Persisted completions: writes each commit's finished offsets above the committed one into its
/// metadata, and reads them back when partitions are assigned. Called on the poll thread (reads,
/// synchronous commits) and by the asynchronous committer (one commit at a time); keeps no state.
/// </summary>
internal sealed class CompletionStore
{
    /// <summary>How long an assignment waits for the committed offsets; past it, nothing is skipped.</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly IOffsetsWithMetadata _native;
    private readonly IProcessorObserver _observer;

    private CompletionStore(IOffsetsWithMetadata native, int maxBytes, IProcessorObserver observer)
    {
        _native = native;
        _observer = observer;
        MaxBytes = maxBytes;
        MaxSpan = CompletionEncoding.MaxSpan(maxBytes);
    }

    /// <summary>The metadata size bound (the broker's <c>offset.metadata.max.bytes</c>).</summary>
    public int MaxBytes { get; }

    /// <summary>How far above the committed offset finished offsets can always be recorded.</summary>
    public long MaxSpan { get; }

    /// <summary>
    /// The store for a processor's consumer, or null when completions are not persisted: turned
    /// off, at-most-once, or (reported) the client's native handle cannot be reached.
    /// </summary>
    /// <param name="offsets">Commits and reads with metadata on the processor's consumer; called only when completions are persisted, null when it cannot.</param>
    /// <param name="options">Whether completions are persisted, and the metadata bound.</param>
    /// <param name="observer">Hears that completions cannot be persisted.</param>
    /// <exception cref="ProcessorStoppedException">Exactly-once under key or unordered ordering, which needs them, and they cannot be persisted.</exception>
    public static CompletionStore? For(Func<IOffsetsWithMetadata?> offsets, ProcessorOptions options, IProcessorObserver observer)
    {
        if (!options.PersistCompletions || options.Guarantee == DeliveryGuarantee.AtMostOnce)
        {
            return null;
        }

        if (offsets() is not { } native)
        {
            if (options.Guarantee == DeliveryGuarantee.ExactlyOnce && options.Ordering != OrderingMode.Partition)
            {
                // Without them a message finished above an unfinished one has its outputs
                // committed twice after a crash: exactly-once would not hold, so it does not start.
                throw new ProcessorStoppedException(ProcessorStopReason.TransactionsUnavailable,
                    $"Exactly-once with {nameof(ProcessorOptions.Ordering)} {options.Ordering} needs persisted completions, but this Confluent.Kafka version hides the native client handle they are written through: use {nameof(ProcessorOptions.Ordering)} {OrderingMode.Partition}, or the Confluent.Kafka version Conveyor is built against.");
            }

            observer.OnError(new Error(ErrorCode.Local_NotImplemented,
                "This Confluent.Kafka version hides the native client handle: completions are not persisted, so messages finished above an unfinished one are handled again after a rebalance."));
            return null;
        }

        return new CompletionStore(native, options.CommitMetadataMaxBytes, observer);
    }

    /// <summary>
    /// The finished offsets recorded with each partition's committed offset. A partition whose
    /// metadata cannot be read (another tool's, corrupt, another version) gets none, with a
    /// warning; when the read fails as a whole every partition gets none (handled again, never skipped).
    /// </summary>
    public Dictionary<TopicPartition, CompletionMap> Read(IReadOnlyList<TopicPartition> partitions)
    {
        var maps = new Dictionary<TopicPartition, CompletionMap>();
        if (partitions.Count == 0)
        {
            return maps;
        }

        IReadOnlyList<(TopicPartitionOffset Offset, string? Metadata, Error Error)> committed;
        try
        {
            committed = _native.Committed(partitions, ReadTimeout);
        }
        catch (KafkaException e)
        {
            _observer.OnError(new Error(e.Error.Code, $"Could not read the committed completions ({e.Error.Reason}); messages finished before this assignment are handled again."));
            return maps;
        }

        foreach (var (offset, metadata, error) in committed)
        {
            if (error.IsError || offset.Offset.Value < 0)
            {
                continue;
            }

            if (CompletionEncoding.Decode(metadata, offset.Offset.Value, out var problem) is { } map)
            {
                maps[offset.TopicPartition] = map;
            }
            else
            {
                _observer.OnCompletionsUnreadable(offset, problem!);
                maps[offset.TopicPartition] = CompletionMap.Of(offset.Offset.Value, []);
            }
        }

        return maps;
    }

    /// <summary>The metadata for committing <paramref name="committed"/> with these finished offsets above it.</summary>
    public string Encode(long committed, List<long> finished) => CompletionEncoding.Encode(committed, finished, MaxBytes);

    /// <summary>Commits with metadata; throws as Confluent.Kafka's <c>Commit</c> does.</summary>
    public void Commit(IReadOnlyList<OffsetCommit> offsets) =>
        _native.Commit([.. offsets.Select(o => (o.ToTopicPartitionOffset(), o.Metadata))]);
}
