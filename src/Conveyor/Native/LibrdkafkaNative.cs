using System.Runtime.InteropServices;
using System.Text;

namespace Conveyor.Native;

/// <summary>
/// The few librdkafka entry points Conveyor calls itself. They bind to the librdkafka that
/// Confluent.Kafka loaded (<see cref="LibrdkafkaModule"/>), so the process holds one copy.
/// </summary>
internal static partial class LibrdkafkaNative
{
    internal const string Library = LibrdkafkaModule.LibraryName;

    static LibrdkafkaNative() => LibrdkafkaModule.Register(typeof(LibrdkafkaNative).Assembly);

    internal const int ConfOk = 0;

    [LibraryImport(Library, EntryPoint = "rd_kafka_version_str")]
    internal static partial IntPtr VersionString();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    internal static partial IntPtr ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(IntPtr conf);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ConfSet(IntPtr conf, string name, string value, byte[] errstr, UIntPtr errstrSize);

    /// <summary>Sets one property; returns librdkafka's own error text, or null when it was accepted.</summary>
    internal static string? TrySet(IntPtr conf, string name, string value)
    {
        var buffer = new byte[512];
        var result = ConfSet(conf, name, value, buffer, (UIntPtr)buffer.Length);
        if (result == ConfOk)
        {
            return null;
        }

        var length = Array.IndexOf(buffer, (byte)0);
        // Some of librdkafka's messages (a value outside its range) end in a newline: one line each.
        return Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length).TrimEnd();
    }

    internal static string Version() => Marshal.PtrToStringUTF8(VersionString()) ?? "unknown";
}
