using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Records acknowledged as duplicates (DUPLICATE_SEQUENCE_NUMBER: persisted, offset unknown) are
/// sent again, up to <see cref="MaxResends"/> times. A real broker answers so only for a record it
/// stored; the embedded broker was seen to answer so for a new producer's first records without
/// storing them, and an input's offset passes on the strength of these acknowledgements (a dead
/// letter, a forwarded output). At worst a second copy, never none. Not for a transactional
/// producer, whose records commit or abort together.
/// </summary>
internal static class UnconfirmedDelivery
{
    /// <summary>How many times a record acknowledged without an offset is sent again (a forwarder's pipelined outputs follow the same rule).</summary>
    internal const int MaxResends = 3;

    /// <summary>Where <paramref name="delivered"/> landed, sending again with <paramref name="resend"/> while its offset is unknown.</summary>
    public static async Task<TopicPartitionOffset> ConfirmAsync(TopicPartitionOffset delivered, Func<Task<DeliveryResult<byte[]?, byte[]?>>> resend)
    {
        for (var attempt = 0; attempt < MaxResends && delivered.Offset.Value < 0; attempt++)
        {
            delivered = (await resend().ConfigureAwait(false)).TopicPartitionOffset;
        }

        return delivered;
    }
}
