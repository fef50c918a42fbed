using System.Runtime.InteropServices;
using Conveyor.Native.Producing;

namespace Conveyor.Native.Consuming;

/// <summary>
/// The librdkafka calls <see cref="NativeConsume"/> makes on a Confluent.Kafka consumer's handle,
/// bound to the librdkafka that Confluent.Kafka loaded (<see cref="LibrdkafkaModule"/>).
/// </summary>
internal static unsafe partial class ConsumerImports
{
    internal const int NoEntry = -156; // RD_KAFKA_RESP_ERR__NOENT: the message has no headers
    internal const int PartitionEof = -191; // RD_KAFKA_RESP_ERR__PARTITION_EOF
    internal const int FatalError = -150; // RD_KAFKA_RESP_ERR__FATAL

    static ConsumerImports() => System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(LibrdkafkaNative).TypeHandle);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_consumer_poll")]
    internal static partial NativeMessage* ConsumerPoll(IntPtr rk, int timeoutMs);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_message_destroy")]
    internal static partial void MessageDestroy(NativeMessage* message);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_topic_name")]
    internal static partial byte* TopicName(IntPtr rkt);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_message_timestamp")]
    internal static partial long MessageTimestamp(NativeMessage* message, int* type);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_message_leader_epoch")]
    internal static partial int MessageLeaderEpoch(NativeMessage* message);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_message_headers")]
    internal static partial int MessageHeaders(NativeMessage* message, IntPtr* headers);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_header_get_all")]
    internal static partial int HeaderGetAll(IntPtr headers, nuint index, byte** name, byte** value, nuint* size);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_message_errstr")]
    internal static partial byte* MessageErrorText(NativeMessage* message);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_fatal_error")]
    internal static partial int FatalErrorOf(IntPtr rk, byte* errstr, nuint errstrSize);
}
