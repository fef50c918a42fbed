using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Conveyor.Native;

/// <summary>
/// Binds Conveyor's own <c>DllImport("librdkafka")</c> declarations to the librdkafka that
/// Confluent.Kafka loaded. librdkafka.redist ships several builds per platform (on Linux x64 a
/// glibc, a CentOS 8 and an Alpine one) and Confluent.Kafka picks the one that loads; resolving
/// the name again by ourselves could pick another file and put two copies in the process, and a
/// mock cluster made by one copy cannot be used by clients of the other.
/// </summary>
internal static class LibrdkafkaModule
{
    internal const string LibraryName = "librdkafka";

    private static readonly Lazy<IntPtr> Handle = new(Load);

    /// <summary>Routes <paramref name="assembly"/>'s imports of <see cref="LibraryName"/> to that module.</summary>
    internal static void Register(Assembly assembly) =>
        NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name == LibraryName ? Handle.Value : IntPtr.Zero);

    private static IntPtr Load()
    {
        _ = Confluent.Kafka.Library.Version; // makes Confluent.Kafka load its librdkafka now
        using var process = Process.GetCurrentProcess();
        foreach (ProcessModule module in process.Modules)
        {
            if (module.FileName is { } path
                && Path.GetFileNameWithoutExtension(path).EndsWith(LibraryName, StringComparison.OrdinalIgnoreCase))
            {
                return NativeLibrary.Load(path); // the loaded module again: same handle, one copy
            }
        }

        throw new DllNotFoundException(
            "Confluent.Kafka reports librdkafka loaded, but no librdkafka module is mapped in this process; install the librdkafka.redist package for this platform.");
    }
}
