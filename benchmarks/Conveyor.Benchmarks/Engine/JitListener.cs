using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>With <c>CONVEYOR_ROUND_TRACE=jit</c>: the methods the JIT compiled during a round, by name (diagnostic only).</summary>
internal sealed class JitListener : EventListener
{
    private readonly ConcurrentQueue<string> _methods = new();

    public IReadOnlyCollection<string> Methods => _methods;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x10);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is { } name && name.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) && eventData.Payload is { } payload)
        {
            var names = eventData.PayloadNames!;
            string Get(string field) => names.IndexOf(field) is var i and >= 0 ? payload[i]?.ToString() ?? "" : "";
            _methods.Enqueue($"{Get("MethodNamespace")}::{Get("MethodName")} flags={Get("MethodFlags")}");
        }
    }
}
