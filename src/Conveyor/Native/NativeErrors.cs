using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Conveyor.Native;

/// <summary>
/// librdkafka's <c>rd_kafka_error_t</c>, read once for every caller that gets one back (the native
/// producer's produce call, the transaction's offsets), bound to the librdkafka Confluent.Kafka loaded.
/// A caller holds an error only after another native call, so the import resolver is registered.
/// </summary>
internal static partial class NativeErrors
{
    /// <summary>
    /// The error as the exception Confluent.Kafka throws for it (<see cref="KafkaTxnRequiresAbortException"/>,
    /// <see cref="KafkaRetriableException"/> or <see cref="KafkaException"/>, fatal flag kept); destroys the error.
    /// </summary>
    /// <param name="error">An <c>rd_kafka_error_t</c>, not null.</param>
    /// <param name="fallback">The message when librdkafka gives none; the code's name when null.</param>
    public static KafkaException Take(IntPtr error, string? fallback = null)
    {
        try
        {
            var code = (ErrorCode)Code(error);
            var message = Marshal.PtrToStringUTF8(Text(error)) ?? fallback ?? code.ToString();
            var kafkaError = new Error(code, message, IsFatal(error) != 0);
            return RequiresAbort(error) != 0 ? new KafkaTxnRequiresAbortException(kafkaError)
                : IsRetriable(error) != 0 ? new KafkaRetriableException(kafkaError)
                : new KafkaException(kafkaError);
        }
        finally
        {
            Destroy(error);
        }
    }

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_error_code")]
    private static partial int Code(IntPtr error);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_error_string")]
    private static partial IntPtr Text(IntPtr error);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_error_is_fatal")]
    private static partial int IsFatal(IntPtr error);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_error_is_retriable")]
    private static partial int IsRetriable(IntPtr error);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_error_txn_requires_abort")]
    private static partial int RequiresAbort(IntPtr error);

    [LibraryImport(LibrdkafkaModule.LibraryName, EntryPoint = "rd_kafka_error_destroy")]
    private static partial void Destroy(IntPtr error);
}
