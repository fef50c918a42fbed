using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Conveyor.Native;

/// <summary>
/// Offsets sent with a transaction, with their metadata: librdkafka's own
/// <c>rd_kafka_send_offsets_to_transaction</c>, since Confluent.Kafka's <c>SendOffsetsToTransaction</c>
/// takes <see cref="TopicPartitionOffset"/>s, which have no metadata. Exactly-once with persisted
/// completions needs it: the finished offsets above the committed one commit with the outputs.
/// </summary>
internal sealed unsafe partial class OffsetsNative
{
    /// <summary>Whether both clients' native handles can be reached (else the caller sends without metadata).</summary>
    public static bool CanSendToTransaction(IClient producer, IClient consumer) => NativeHandle(producer) is not null && NativeHandle(consumer) is not null;

    /// <summary>
    /// Sends the offsets, each with its metadata, to <paramref name="producer"/>'s open transaction,
    /// with <paramref name="consumer"/>'s group metadata (read from its handle). Throws as
    /// Confluent.Kafka's <c>SendOffsetsToTransaction</c> does: <see cref="KafkaTxnRequiresAbortException"/>
    /// (abort), <see cref="KafkaRetriableException"/> (call again), else a <see cref="KafkaException"/>
    /// (fatal when librdkafka says so), each with librdkafka's message.
    /// </summary>
    public static void SendToTransaction(IClient producer, IClient consumer, IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets, TimeSpan timeout)
    {
        var producerHandle = NativeHandle(producer) ?? throw new KafkaException(new Error(ErrorCode.Local_NotImplemented, "The producer's native handle cannot be reached."));
        var consumerHandle = NativeHandle(consumer) ?? throw new KafkaException(new Error(ErrorCode.Local_NotImplemented, "The consumer's native handle cannot be reached."));
        var owned = new List<IntPtr>(offsets.Count);
        var list = ListOf(offsets, owned);
        bool producerAdded = false, consumerAdded = false;
        var groupMetadata = IntPtr.Zero;
        try
        {
            producerHandle.DangerousAddRef(ref producerAdded);
            consumerHandle.DangerousAddRef(ref consumerAdded);
            groupMetadata = GroupMetadataOf(consumerHandle.DangerousGetHandle());
            if (groupMetadata == IntPtr.Zero)
            {
                throw new KafkaException(new Error(ErrorCode.Local_State, "The consumer has no group metadata (it is not in a group)."));
            }

            var milliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
            var error = SendOffsets(producerHandle.DangerousGetHandle(), list, groupMetadata, milliseconds);
            if (error != IntPtr.Zero)
            {
                throw NativeErrors.Take(error);
            }
        }
        finally
        {
            if (groupMetadata != IntPtr.Zero)
            {
                GroupMetadataDestroy(groupMetadata);
            }

            DestroyList(list, offsets.Count, owned);
            if (consumerAdded)
            {
                consumerHandle.DangerousRelease();
            }

            if (producerAdded)
            {
                producerHandle.DangerousRelease();
            }
        }
    }

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_consumer_group_metadata")]
    private static partial IntPtr GroupMetadataOf(IntPtr consumer);

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_consumer_group_metadata_destroy")]
    private static partial void GroupMetadataDestroy(IntPtr groupMetadata);

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_send_offsets_to_transaction")]
    private static partial IntPtr SendOffsets(IntPtr producer, IntPtr offsets, IntPtr groupMetadata, int timeoutMs);
}
