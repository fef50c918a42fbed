using Conveyor.Configuration;

namespace Conveyor.Processing;

/// <summary>
/// The one check of a processor's settings, made by <see cref="KafkaProcessorBuilder{TKey, TValue}.Build"/>
/// and by Conveyor.Hosting when the host starts: the options (<see cref="ProcessorOptions.Validate"/>),
/// what this kind of processor can do (only a forwarder can be exactly-once), the client properties
/// Conveyor sets itself (refused, never overwritten), and every client property as librdkafka sees it.
/// </summary>
public static class ProcessorValidation
{
    /// <summary>Every problem at once, one sentence each naming what is wrong and what to do; empty when the settings are valid.</summary>
    /// <param name="client">The client properties.</param>
    /// <param name="options">The options.</param>
    /// <param name="kind">What the processor does with its messages.</param>
    /// <param name="propertySection">
    /// Where the client properties were read from, to name them by (Conveyor.Hosting passes
    /// <c>Kafka</c>: <c>Kafka:group.id</c>); null names them as client properties.
    /// </param>
    public static IReadOnlyList<string> Problems(KafkaClientProperties client, ProcessorOptions options, ProcessorKind kind, string? propertySection = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        problems.AddRange(Engine.ConsumerSettings.EngineOwnedProblems(
            client.Properties.Select(p => p.Key),
            key => propertySection is null ? $"The client property {key}" : $"{propertySection}:{key}"));
        problems.AddRange(Problems(options, kind));
        try
        {
            client.Validate();
        }
        catch (KafkaConfigurationException e)
        {
            // name=value: librdkafka's words, secrets masked.
            problems.AddRange(propertySection is null ? e.Problems : e.Problems.Select(p => $"{propertySection}: {p}"));
        }

        return problems;
    }

    /// <summary>The options' problems for this kind of processor: <see cref="ProcessorOptions.Validate"/> and what the kind cannot do.</summary>
    /// <param name="options">The options.</param>
    /// <param name="kind">What the processor does with its messages.</param>
    public static IReadOnlyList<string> Problems(ProcessorOptions options, ProcessorKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Guarantee == DeliveryGuarantee.ExactlyOnce && kind != ProcessorKind.Forwarder)
        {
            // The exactly-once rules (transactional id, ordering, commit mode) would only mislead
            // for a kind that cannot be exactly-once: the guarantee is the problem, reported alone.
            var others = options with { Guarantee = DeliveryGuarantee.AtLeastOnce };
            return [ExactlyOnceNeedsForwarder, .. others.Validate(), .. KindProblems(options, kind)];
        }

        return [.. options.Validate(), .. KindProblems(options, kind)];
    }

    private static IEnumerable<string> KindProblems(ProcessorOptions options, ProcessorKind kind)
    {
        if (kind == ProcessorKind.BatchProcessor && options.Concurrency is { Adaptive: true })
        {
            yield return AdaptiveNeedsSingleMessages;
        }

        if (kind == ProcessorKind.BatchProcessor && options.Concurrency is { MessagesPerSecond: not null })
        {
            yield return RateNeedsSingleMessages;
        }
    }

    /// <summary>What a batch processor with <see cref="Concurrency.ConcurrencyOptions.MessagesPerSecond"/> is told.</summary>
    internal const string RateNeedsSingleMessages =
        "Concurrency.MessagesPerSecond cannot apply to a batch processor yet: its workers take runs, not messages. Bound the batches with Batch.MaxMessages and MaxConcurrency instead.";

    /// <summary>What a batch processor with <see cref="Concurrency.ConcurrencyOptions.Adaptive"/> is told.</summary>
    internal const string AdaptiveNeedsSingleMessages =
        "Concurrency.Adaptive cannot apply to a batch processor: a batch's time grows with its size, not only with the downstream's load. Set MaxConcurrency instead.";

    /// <summary>What a processor or batch processor with <see cref="DeliveryGuarantee.ExactlyOnce"/> is told.</summary>
    public const string ExactlyOnceNeedsForwarder = "Guarantee ExactlyOnce needs outputs to commit with the offsets: use a KafkaForwarder.";

    /// <summary>Throws when <see cref="Problems(KafkaClientProperties, ProcessorOptions, ProcessorKind, string)"/> finds any.</summary>
    /// <exception cref="KafkaConfigurationException">Listing every problem.</exception>
    internal static void ThrowIfInvalid(KafkaClientProperties client, ProcessorOptions options, ProcessorKind kind)
    {
        var problems = Problems(client, options, kind);
        if (problems.Count > 0)
        {
            throw new KafkaConfigurationException(problems);
        }
    }
}
