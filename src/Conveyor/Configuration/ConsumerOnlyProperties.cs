namespace Conveyor.Configuration;

/// <summary>
/// librdkafka's consumer-only properties (scope C in its CONFIGURATION.md, 2.16). A processor's
/// properties are its consumer's; a producer or admin client built from them logs a CONFWARN line
/// for each of these at start ("... is a consumer property and will be ignored by this producer
/// instance"), so the producers and admin clients Conveyor builds from them leave these out.
/// </summary>
internal static class ConsumerOnlyProperties
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "group.id", "group.instance.id", "group.protocol", "group.protocol.type", "group.remote.assignor",
        "partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms", "coordinator.query.interval.ms",
        "max.poll.interval.ms", "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store",
        "auto.offset.reset", "queued.min.messages", "queued.max.messages.kbytes", "fetch.wait.max.ms",
        "fetch.queue.backoff.ms", "fetch.message.max.bytes", "max.partition.fetch.bytes", "fetch.max.bytes",
        "fetch.min.bytes", "fetch.error.backoff.ms", "isolation.level", "enable.partition.eof", "check.crcs",
        "consume.callback.max.messages",
    };

    /// <summary>Removes the consumer-only properties from <paramref name="config"/> and returns it.</summary>
    public static Dictionary<string, string> Without(Dictionary<string, string> config)
    {
        foreach (var name in Names)
        {
            config.Remove(name);
        }

        return config;
    }
}
