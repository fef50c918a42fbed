using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Conveyor.Processing.Completions;

namespace Conveyor.Native;

/// <summary>
/// Offset commits with metadata, which Confluent.Kafka's <c>Commit</c> and <c>Committed</c> do not
/// carry (its <see cref="TopicPartitionOffset"/> has no metadata field): librdkafka's own
/// <c>rd_kafka_commit</c> and <c>rd_kafka_committed</c> on the consumer's handle, with
/// <c>rd_kafka_topic_partition_t.metadata</c> set or read. Thread-safe, like those functions.
/// </summary>
internal sealed unsafe partial class OffsetsNative : IOffsetsWithMetadata
{
    private readonly SafeHandle _handle;

    // The imports below resolve through the module resolver that LibrdkafkaNative registers.
    static OffsetsNative() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(LibrdkafkaNative).TypeHandle);

    private OffsetsNative(SafeHandle handle)
    {
        _handle = handle;
    }

    /// <summary>
    /// The native handle of a Confluent.Kafka client. Confluent.Kafka keeps it internal
    /// (<c>Handle.LibrdkafkaHandle</c>), so it is read by reflection; null when a future version
    /// moved it (the caller then commits without metadata).
    /// </summary>
    public static OffsetsNative? For(IClient client) => NativeHandle(client) is { } handle ? new OffsetsNative(handle) : null;

    /// <summary>A Confluent.Kafka client's librdkafka handle (internal there, so read by reflection); null when a future version moved it.</summary>
    internal static SafeHandle? NativeHandle(IClient client)
    {
        var handle = client.Handle;
        const BindingFlags Flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var native = handle.GetType().GetProperty("LibrdkafkaHandle", Flags)?.GetValue(handle)
            ?? handle.GetType().GetField("LibrdkafkaHandle", Flags)?.GetValue(handle);
        return native as SafeHandle;
    }

    /// <summary>
    /// Commits the offsets, each with its metadata, and waits for the answer. Throws as
    /// Confluent.Kafka's <c>Commit</c> does: <see cref="TopicPartitionOffsetException"/> naming each
    /// partition's result when some partitions failed, <see cref="KafkaException"/> when the whole
    /// request did. <c>rd_kafka_commit</c> cannot tell which partitions failed (it copies the list it
    /// is given and answers with one error, the last failed partition's), so this is
    /// <c>rd_kafka_commit_queue</c> without a queue: it waits, then calls back on this thread with
    /// the partitions as the broker answered them. librdkafka (2.16) gives each partition without an
    /// error of its own the request's error, so in a partial failure a partition listed as refused
    /// may have landed: the engine commits it again later, at the same or a higher offset.
    /// </summary>
    public void Commit(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets)
    {
        var owned = new List<IntPtr>(offsets.Count);
        var list = ListOf(offsets, owned);
        var answer = new CommitAnswer();
        var opaque = GCHandle.Alloc(answer);
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            var error = (ErrorCode)CommitQueue(_handle.DangerousGetHandle(), list, IntPtr.Zero, &OnCommitted, GCHandle.ToIntPtr(opaque));
            if (answer.Results is { } results && results.Any(r => r.Error.IsError))
            {
                throw new TopicPartitionOffsetException(results);
            }

            if (error != ErrorCode.NoError)
            {
                throw new KafkaException(error);
            }
        }
        finally
        {
            opaque.Free();
            DestroyList(list, offsets.Count, owned);
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// librdkafka's answer to a commit, on the committing thread (no queue given, so
    /// <c>rd_kafka_commit_queue</c> serves it before it returns): the partitions, each with its error.
    /// An exception must not unwind into native code: a list that cannot be read is no answer, and
    /// the commit's own error still tells.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnCommitted(IntPtr handle, int error, IntPtr list, IntPtr opaque)
    {
        try
        {
            if (list != IntPtr.Zero && GCHandle.FromIntPtr(opaque).Target is CommitAnswer answer)
            {
                answer.Results = Results(list, ((PartitionList*)list)->Count);
            }
        }
        catch (Exception)
        {
            // Nothing may unwind into librdkafka. No answer read: the commit's returned error still reports the failure.
        }
    }

    /// <summary>What <see cref="OnCommitted"/> read, for <see cref="Commit"/>.</summary>
    private sealed class CommitAnswer
    {
        public List<TopicPartitionOffsetError>? Results { get; set; }
    }

    /// <summary>A native partition list of these offsets, each with its metadata in memory allocated here (listed in <paramref name="owned"/>).</summary>
    private static IntPtr ListOf(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets, List<IntPtr> owned)
    {
        var list = PartitionListNew(offsets.Count);
        foreach (var (offset, metadata) in offsets)
        {
            var element = (Element*)PartitionListAdd(list, offset.Topic, offset.Partition.Value);
            element->Offset = offset.Offset.Value;
            if (metadata.Length > 0)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(metadata);
                var memory = Marshal.AllocHGlobal(bytes.Length);
                owned.Add(memory);
                Marshal.Copy(bytes, 0, memory, bytes.Length);
                element->Metadata = memory;
                element->MetadataSize = (nuint)bytes.Length;
            }
        }

        return list;
    }

    private static void DestroyList(IntPtr list, int count, List<IntPtr> owned)
    {
        // The metadata is ours (allocated here, freed here): librdkafka would free it with its own allocator.
        var elements = ((PartitionList*)list)->Elements;
        for (var i = 0; i < count; i++)
        {
            elements[i].Metadata = IntPtr.Zero;
            elements[i].MetadataSize = 0;
        }

        PartitionListDestroy(list);
        owned.ForEach(Marshal.FreeHGlobal);
    }

    /// <summary>The group's committed offsets of these partitions with their metadata (null metadata when none); throws <see cref="KafkaException"/> when the request failed.</summary>
    public IReadOnlyList<(TopicPartitionOffset Offset, string? Metadata, Error Error)> Committed(IReadOnlyList<TopicPartition> partitions, TimeSpan timeout)
    {
        var list = PartitionListNew(partitions.Count);
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            foreach (var partition in partitions)
            {
                PartitionListAdd(list, partition.Topic, partition.Partition.Value);
            }

            var error = (ErrorCode)CommittedSync(_handle.DangerousGetHandle(), list, (int)timeout.TotalMilliseconds);
            if (error != ErrorCode.NoError)
            {
                throw new KafkaException(error);
            }

            var elements = ((PartitionList*)list)->Elements;
            var results = new List<(TopicPartitionOffset, string?, Error)>(partitions.Count);
            for (var i = 0; i < partitions.Count; i++)
            {
                var element = elements[i];
                var metadata = element.Metadata == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(element.Metadata, (int)element.MetadataSize);
                results.Add((new TopicPartitionOffset(partitions[i], new Offset(element.Offset)), metadata, new Error((ErrorCode)element.Error)));
            }

            return results;
        }
        finally
        {
            PartitionListDestroy(list);
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private static List<TopicPartitionOffsetError> Results(IntPtr list, int count)
    {
        var elements = ((PartitionList*)list)->Elements;
        var results = new List<TopicPartitionOffsetError>(count);
        for (var i = 0; i < count; i++)
        {
            var element = elements[i];
            var topic = Marshal.PtrToStringUTF8(element.Topic) ?? string.Empty;
            results.Add(new TopicPartitionOffsetError(topic, new Partition(element.Partition), new Offset(element.Offset), new Error((ErrorCode)element.Error)));
        }

        return results;
    }

    /// <summary><c>rd_kafka_topic_partition_t</c> (rdkafka.h, stable since 0.9).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Element
    {
        public IntPtr Topic;
        public int Partition;
        public long Offset;
        public IntPtr Metadata;
        public nuint MetadataSize;
        public IntPtr Opaque;
        public int Error;
        public IntPtr Private;
    }

    /// <summary><c>rd_kafka_topic_partition_list_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PartitionList
    {
        public int Count;
        public int Size;
        public Element* Elements;
    }

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_topic_partition_list_new")]
    private static partial IntPtr PartitionListNew(int size);

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_topic_partition_list_add", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr PartitionListAdd(IntPtr list, string topic, int partition);

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_topic_partition_list_destroy")]
    private static partial void PartitionListDestroy(IntPtr list);

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_commit_queue")]
    private static partial int CommitQueue(IntPtr handle, IntPtr list, IntPtr queue, delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, IntPtr, void> callback, IntPtr opaque);

    [LibraryImport(LibrdkafkaNative.Library, EntryPoint = "rd_kafka_committed")]
    private static partial int CommittedSync(IntPtr handle, IntPtr list, int timeoutMs);
}
