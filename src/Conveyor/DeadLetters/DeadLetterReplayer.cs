using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.DeadLetters;

/// <summary>
/// Sends dead letters back: the original key, value and headers without the <c>conveyor.*</c>
/// ones, plus <see cref="ReplayHeaders"/> and, sent back to their source topic, the group that
/// failed them as <see cref="DeadLetterHeaders.TargetGroup"/>, so only that group handles them again. An idempotent producer sends them in chunks; once a
/// chunk is acknowledged, each dead-letter partition's position (the offset after the last record
/// acknowledged without a failure before it) is committed under the replay group.
/// </summary>
internal sealed class DeadLetterReplayer
{
    private const int ChunkSize = 500;

    private readonly ProducerConfig _config;
    private readonly Action<IClient, LogMessage> _log;
    private readonly TimeProvider _time;

    /// <param name="config">The cluster; idempotence and acks=all are set on a copy.</param>
    /// <param name="log">Hears librdkafka's log lines; null drops them.</param>
    /// <param name="time">The clock of the replayed-at header.</param>
    public DeadLetterReplayer(ProducerConfig config, Action<IClient, LogMessage>? log = null, TimeProvider? time = null)
    {
        _config = config;
        _log = log ?? SilentClientLogs.Drop;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Where a dead letter goes: <paramref name="to"/>, else the topic it came from.</summary>
    public static string TargetOf(DeadLetter letter, string? to) => to ?? letter.SourceTopic;

    /// <summary>
    /// Sends the dead letters; <paramref name="onSent"/> hears each outcome (null error: acknowledged).
    /// With <paramref name="positions"/>, each acknowledged chunk's position is committed there; without, nothing is committed.
    /// </summary>
    /// <returns>How many were acknowledged and how many failed or were not sent because an earlier one of their partition failed.</returns>
    public async Task<(int Replayed, int Failed)> ReplayAsync(
        IReadOnlyList<DeadLetter> letters, string? to, IConsumer<byte[]?, byte[]?>? positions, Action<DeadLetter, DeliveryResult<byte[]?, byte[]?>?, Error?> onSent, CancellationToken cancellationToken)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(_config)) { EnableIdempotence = true, Acks = Acks.All };
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler(_log)
            .SetErrorHandler((_, _) => { }) // each failed send is reported with its record
            .Build();

        var replayed = 0;
        var failedPartitions = new HashSet<int>();
        foreach (var chunk in letters.Chunk(ChunkSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sends = chunk
                .Where(l => !failedPartitions.Contains(l.Partition))
                .Select(l => (Letter: l, Send: producer.ProduceAsync(TargetOf(l, to), ToMessage(l, to is null), CancellationToken.None)))
                .ToList();
            var acknowledged = new Dictionary<int, long>();
            foreach (var (letter, send) in sends)
            {
                try
                {
                    var result = await send.ConfigureAwait(false);
                    onSent(letter, result, null);
                    if (!failedPartitions.Contains(letter.Partition))
                    {
                        replayed++;
                        acknowledged[letter.Partition] = letter.Offset + 1;
                    }
                }
                catch (ProduceException<byte[]?, byte[]?> e)
                {
                    onSent(letter, null, e.Error);
                    failedPartitions.Add(letter.Partition);
                }
            }

            if (positions is not null && acknowledged.Count > 0)
            {
                var topic = chunk[0].Topic;
                positions.Commit([.. acknowledged.Select(a => new TopicPartitionOffset(topic, a.Key, a.Value))]);
            }
        }

        return (replayed, letters.Count - replayed);
    }

    private Message<byte[]?, byte[]?> ToMessage(DeadLetter letter, bool toSource)
    {
        var headers = new Headers();
        foreach (var header in letter.Record.Message.Headers ?? [])
        {
            if (!header.Key.StartsWith(ReplayHeaders.ConveyorPrefix, StringComparison.Ordinal))
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        headers.Add(ReplayHeaders.ReplayedFrom, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{letter.Topic}/{letter.Partition}/{letter.Offset}")));
        headers.Add(ReplayHeaders.ReplayedAt, Encoding.UTF8.GetBytes(_time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)));

        // Back in its source topic, every group reading it would handle it again: only the one that failed it does.
        // Sent elsewhere (--to), whoever reads that topic handles it.
        if (toSource && letter.ConsumerGroup is { } group)
        {
            headers.Add(DeadLetterHeaders.TargetGroup, Encoding.UTF8.GetBytes(group));
        }

        return new Message<byte[]?, byte[]?> { Key = letter.Record.Message.Key, Value = letter.Record.Message.Value, Headers = headers };
    }
}
