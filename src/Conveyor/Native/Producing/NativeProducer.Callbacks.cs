using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Conveyor.Native.Producing;

/// <summary>
/// librdkafka's callbacks: static (no delegate for the collector to move or free), finding the
/// producer through librdkafka's opaque and each record's slot by the number that is the record's
/// opaque (<see cref="InFlightRecords"/>). They
/// run on the producer's thread (<c>rd_kafka_poll</c>, or <c>rd_kafka_flush</c> on the disposing
/// thread). An exception must not unwind into native code, so one is reported as a fatal error:
/// an input whose report was lost would otherwise never finish.
/// </summary>
internal sealed unsafe partial class NativeProducer
{
    private static readonly Error Acknowledged = new(ErrorCode.NoError);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDelivery(IntPtr rk, NativeMessage* message, IntPtr opaque)
    {
        var producer = Instance(opaque);
        if (producer is null)
        {
            return; // reports come only after rd_kafka_new returned and the instance was set
        }

        try
        {
            var slot = producer._inFlight.Reported((int)message->Opaque);
            var error = message->Error == 0 ? Acknowledged : producer.ErrorOf(message->Error);
            slot.Report(error, new Partition(message->Partition), new Offset(message->Offset));
        }
        catch (Exception e)
        {
            producer.Failed(e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnError(IntPtr rk, int code, byte* reason, IntPtr opaque)
    {
        var producer = Instance(opaque);
        if (producer is null)
        {
            return;
        }

        try
        {
            var error = code == ProducerImports.FatalError ? producer.ErrorOf(code) : new Error((ErrorCode)code, Marshal.PtrToStringUTF8((IntPtr)reason) ?? string.Empty);
            producer._onError(error);
            if (error.IsFatal)
            {
                producer._onFatal(error);
            }
        }
        catch (Exception e)
        {
            producer.Failed(e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(IntPtr rk, int level, byte* facility, byte* line)
    {
        // Lines logged while rd_kafka_new runs come before the instance exists and are not kept.
        var producer = Instance(ProducerImports.Opaque(rk));
        if (producer is null)
        {
            return;
        }

        try
        {
            var name = Marshal.PtrToStringUTF8(ProducerImports.Name(rk)) ?? "producer";
            producer._onLog(new LogMessage(name, (SyslogLevel)level, Marshal.PtrToStringUTF8((IntPtr)facility) ?? string.Empty, Marshal.PtrToStringUTF8((IntPtr)line) ?? string.Empty));
        }
        catch (Exception e)
        {
            producer.Failed(e);
        }
    }

    private static NativeProducer? Instance(IntPtr opaque) => opaque == IntPtr.Zero ? null : GCHandle.FromIntPtr(opaque).Target as NativeProducer;

    /// <summary>A report's or callback's error; for librdkafka's "fatal" code, the fatal error it stands for, marked fatal.</summary>
    private Error ErrorOf(int code)
    {
        if (code != ProducerImports.FatalError)
        {
            return new Error((ErrorCode)code);
        }

        var text = stackalloc byte[512];
        var fatal = ProducerImports.FatalErrorOf(_rk, text, 512);
        return new Error(fatal == 0 ? ErrorCode.Local_Fatal : (ErrorCode)fatal, Marshal.PtrToStringUTF8((IntPtr)text) ?? "fatal error", isFatal: true);
    }

    private void Failed(Exception e)
    {
        try
        {
            var error = new Error(ErrorCode.Local_Fail, $"The output producer's callback failed: {e.GetType().Name}: {e.Message}", isFatal: true);
            _onError(error);
            _onFatal(error);
        }
        catch (Exception)
        {
            // Nothing is left to tell; unwinding into librdkafka would end the process.
        }
    }
}
