using System.Globalization;
using Confluent.Kafka;
using Conveyor.Configuration;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The librdkafka properties of the engine's consumer: defaults that the user's properties
/// override, then the ones the engine must own because it decides what is stored and committed.
/// </summary>
internal static class ConsumerSettings
{
    /// <summary>
    /// Properties the engine sets itself. Given by the user they would be overridden without a word
    /// (or, left in, break the engine's commits), so they are refused, in code and in hosting alike.
    /// </summary>
    public static readonly IReadOnlyList<string> EngineOwned = ["group.id", "enable.auto.commit", "enable.auto.offset.store"];

    /// <summary>One problem per engine-owned property among <paramref name="keys"/>, each named as <paramref name="name"/> names it.</summary>
    public static IEnumerable<string> EngineOwnedProblems(IEnumerable<string> keys, Func<string, string> name) =>
        keys.Where(EngineOwned.Contains).Distinct().Select(key =>
            $"{name(key)} is set by Conveyor itself; remove it{(key == "group.id" ? " and set GroupId instead" : string.Empty)}.");

    /// <summary>The consumer configuration for a processor.</summary>
    public static ConsumerConfig For(KafkaClientProperties client, ProcessorOptions options)
    {
        var config = client.ToDictionary(Defaults(options));

        // The engine decides what is committed and when: librdkafka must neither store nor commit on its own.
        config["group.id"] = options.GroupId;
        config["enable.auto.commit"] = "false";
        config["enable.auto.offset.store"] = "false";
        GroupProtocolCheck.Prepare(config);
        return new ConsumerConfig(config);
    }

    /// <summary>
    /// Defaults that fit librdkafka's prefetching to the engine's own buffer. librdkafka fetches
    /// ahead up to 100,000 messages or 64 MiB on top of what the engine holds, and pausing a full
    /// partition throws its prefetched messages away, so prefetching far more than the engine
    /// buffers costs memory and refetches for nothing. With the lower thresholds the default 1 s
    /// back-off after reaching them would stall consuming, so it is short too (librdkafka's
    /// documentation advises this for low thresholds).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> Defaults(ProcessorOptions options)
    {
        yield return new("auto.offset.reset", "earliest");

        // read_committed (librdkafka's default, stated because exactly-once chains rely on it):
        // records of aborted transactions are never handled.
        yield return new("isolation.level", "read_committed");

        // Statistics feed the consumer-lag gauge; set statistics.interval.ms=0 to turn them off.
        yield return new("statistics.interval.ms", "5000");
        yield return new("queued.min.messages", Format(Math.Clamp(options.MaxBufferedMessages, 1_000, 10_000_000)));
        yield return new("queued.max.messages.kbytes", Format(Math.Clamp(options.MaxBufferedBytes / 4 / 1024, 1_024, 65_536)));
        yield return new("fetch.queue.backoff.ms", "10");
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
