using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Conveyor.Configuration;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// Learns whether every broker can fence a late transactional offset commit (KIP-447, Apache Kafka
/// 2.5 and later: <c>TxnOffsetCommit</c> version 3 and up, which carries the group generation).
/// Without it a member that lost its partitions can still commit offsets in a transaction after
/// the next owner committed, moving the group backwards, and exactly-once breaks.
/// <para>
/// librdkafka keeps each broker's ApiVersions answer to itself but prints it with <c>debug=feature</c>
/// (one line per API key), so a short-lived admin client with the user's own properties (any
/// security settings work) and connections to every broker (<c>enable.sparse.connections=false</c>)
/// reads those lines. The lines are librdkafka's text, not an API: a line that does not match is
/// ignored, and a broker that gave no readable answer in time is reported as unknown.
/// </para>
/// </summary>
internal static partial class FencingProbe
{
    /// <summary>The first <c>TxnOffsetCommit</c> version that carries the group generation (KIP-447).</summary>
    public const short FencingVersion = 3;

    /// <summary>Asks the cluster; waits at most <paramref name="timeout"/> for every broker's answer.</summary>
    public static FencingSupport Check(KafkaClientProperties client, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        var answers = new ConcurrentDictionary<int, short>();
        var changed = new SemaphoreSlim(0);
        var config = client.ToDictionary();
        config["debug"] = "feature";
        config["enable.sparse.connections"] = "false";
        config.Remove("transactional.id");
        var started = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step must not shorten or stretch the wait
        using var admin = new AdminClientBuilder(new AdminClientConfig(config))
            .SetLogHandler((_, line) =>
            {
                if (Read(line.Message) is { } answer)
                {
                    answers[answer.BrokerId] = answer.MaxVersion;
                    changed.Release();
                }
            })
            .Build();

        List<BrokerMetadata> brokers;
        try
        {
            brokers = admin.GetMetadata(timeout).Brokers;
        }
        catch (KafkaException e)
        {
            return new FencingSupport([], [], $"the cluster's metadata could not be read ({e.Error.Reason})");
        }

        while (brokers.Any(b => !answers.ContainsKey(b.BrokerId)) && timeout - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } remaining)
        {
            changed.Wait(remaining);
        }

        var known = brokers.Where(b => answers.ContainsKey(b.BrokerId)).Select(b => new BrokerSupport(b.BrokerId, $"{b.Host}:{b.Port}", answers[b.BrokerId])).ToList();
        var unknown = brokers.Where(b => !answers.ContainsKey(b.BrokerId)).Select(b => $"{b.BrokerId} ({b.Host}:{b.Port})").ToList();
        return new FencingSupport(known, unknown, unknown.Count > 0 ? "no answer in time" : null);
    }

    /// <summary>Reads a broker id and its highest TxnOffsetCommit version from one of librdkafka's <c>feature</c> lines; null for any other line.</summary>
    public static (int BrokerId, short MaxVersion)? Read(string line)
    {
        var match = ApiVersionLine().Match(line);
        return match.Success
            && int.TryParse(match.Groups["id"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            && short.TryParse(match.Groups["max"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var max)
            ? (id, max)
            : null;
    }

    // "...: 127.0.0.1:9092/1:   ApiKey TxnOffsetCommit (28) Versions 0..3" (the bootstrap connection, "/bootstrap", has no id and is skipped).
    [GeneratedRegex(@"/(?<id>\d+):\s+ApiKey\s+\S+\s+\(28\)\s+Versions\s+\d+\.\.(?<max>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex ApiVersionLine();
}
