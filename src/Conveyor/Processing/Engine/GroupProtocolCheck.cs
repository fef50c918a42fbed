using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Notices a cluster without KIP-848 when the consumer asks for <c>group.protocol=consumer</c>.
/// librdkafka raises no error for it and waits forever; the only word it gives is a debug line of
/// its <c>cgrp</c> context (<c>ConsumerGroupHeartbeatRequest not supported by broker</c>), so that
/// context is turned on for this protocol. Its lines are debug-level: hidden by the default log
/// levels, and shown by the CLI only with <c>-X debug=...</c>.
/// </summary>
internal static class GroupProtocolCheck
{
    private const string Signal = "ConsumerGroupHeartbeatRequest not supported by broker";

    /// <summary>Adds the <c>cgrp</c> debug context to <paramref name="config"/> when it asks for the consumer protocol.</summary>
    public static void Prepare(IDictionary<string, string> config)
    {
        if (!config.TryGetValue("group.protocol", out var protocol) || !protocol.Trim().Equals("consumer", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var debug = config.TryGetValue("debug", out var contexts) ? contexts : string.Empty;
        var named = debug.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (!named.Contains("cgrp", StringComparer.OrdinalIgnoreCase) && !named.Contains("all", StringComparer.OrdinalIgnoreCase))
        {
            config["debug"] = string.Join(',', [.. named, "cgrp"]);
        }
    }

    /// <summary>The problem a librdkafka log line reveals, or null.</summary>
    public static string? Problem(LogMessage message, string bootstrapServers) =>
        message.Message.Contains(Signal, StringComparison.Ordinal)
            ? $"the cluster at {bootstrapServers} does not support group.protocol=consumer (KIP-848, Kafka 4.0 or later): {Signal}; "
              + "use group.protocol=classic, or brokers that support it"
            : null;
}
