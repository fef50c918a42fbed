using System.Runtime.InteropServices;

namespace Conveyor.Native.Producing;

/// <summary>
/// The librdkafka producer calls <see cref="NativeProducer"/> makes, bound to the librdkafka that
/// Confluent.Kafka loaded (<see cref="LibrdkafkaModule"/>). Only non-variadic functions: the
/// produce call is <c>rd_kafka_produceva</c>, which takes its fields as an array.
/// </summary>
internal static unsafe partial class ProducerImports
{
    internal const int Producer = 0; // RD_KAFKA_PRODUCER
    internal const int MessageCopy = 0x2; // RD_KAFKA_MSG_F_COPY: librdkafka copies key and value during the call
    internal const int PurgeQueue = 0x1, PurgeInFlight = 0x2; // RD_KAFKA_PURGE_F_*
    internal const int FatalError = -150; // RD_KAFKA_RESP_ERR__FATAL

    static ProducerImports() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(LibrdkafkaNative).TypeHandle);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_conf_set_dr_msg_cb")]
    internal static partial void SetDeliveryCallback(IntPtr conf, delegate* unmanaged[Cdecl]<IntPtr, NativeMessage*, IntPtr, void> callback);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_conf_set_error_cb")]
    internal static partial void SetErrorCallback(IntPtr conf, delegate* unmanaged[Cdecl]<IntPtr, int, byte*, IntPtr, void> callback);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_conf_set_log_cb")]
    internal static partial void SetLogCallback(IntPtr conf, delegate* unmanaged[Cdecl]<IntPtr, int, byte*, byte*, void> callback);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_conf_set_opaque")]
    internal static partial void SetOpaque(IntPtr conf, IntPtr opaque);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_new")]
    internal static partial IntPtr New(int type, IntPtr conf, byte* errstr, nuint errstrSize);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_set_log_queue")]
    internal static partial int SetLogQueue(IntPtr rk, IntPtr queue);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_opaque")]
    internal static partial IntPtr Opaque(IntPtr rk);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_name")]
    internal static partial IntPtr Name(IntPtr rk);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_topic_new", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr TopicNew(IntPtr rk, string topic, IntPtr conf);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_topic_destroy")]
    internal static partial void TopicDestroy(IntPtr rkt);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_produceva")]
    internal static partial IntPtr Produce(IntPtr rk, ProduceField* fields, nuint count);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_poll")]
    internal static partial int Poll(IntPtr rk, int timeoutMs);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_flush")]
    internal static partial int Flush(IntPtr rk, int timeoutMs);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_purge")]
    internal static partial int Purge(IntPtr rk, int flags);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_outq_len")]
    internal static partial int OutQueueLength(IntPtr rk);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_destroy")]
    internal static partial void Destroy(IntPtr rk);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_fatal_error")]
    internal static partial int FatalErrorOf(IntPtr rk, byte* errstr, nuint errstrSize);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_headers_new")]
    internal static partial IntPtr HeadersNew(nuint initialCount);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_header_add")]
    internal static partial int HeaderAdd(IntPtr headers, byte* name, nint nameSize, byte* value, nint valueSize);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_headers_destroy")]
    internal static partial void HeadersDestroy(IntPtr headers);
}

/// <summary>The leading fields of librdkafka's <c>rd_kafka_message_t</c>, as a delivery report carries it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeMessage
{
    public int Error;
    public IntPtr Topic;
    public int Partition;
    public IntPtr Payload;
    public nuint Length;
    public IntPtr Key;
    public nuint KeyLength;
    public long Offset;
    public IntPtr Opaque;
}

/// <summary>
/// One field of a produce call (librdkafka's <c>rd_kafka_vu_t</c>: a type, then a union padded to
/// 64 bytes at 8-byte alignment).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct ProduceField
{
    internal const int Topic = 1, TopicHandle = 2, Partition = 3, Value = 4, Key = 5, Opaque = 6, Flags = 7, Headers = 10; // RD_KAFKA_VTYPE_*

    [FieldOffset(0)]
    public int Type;

    [FieldOffset(8)]
    public IntPtr Pointer;

    [FieldOffset(8)]
    public int Int;

    [FieldOffset(16)]
    public nuint Size;

    public static ProduceField Of(int type, IntPtr pointer, nuint size = 0) => new() { Type = type, Pointer = pointer, Size = size };

    public static ProduceField Of(int type, int value) => new() { Type = type, Int = value };
}
