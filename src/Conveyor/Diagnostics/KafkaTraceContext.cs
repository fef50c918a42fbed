using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>
/// W3C trace context in Kafka message headers (<c>traceparent</c>, <c>tracestate</c>), so a trace
/// continues from the producer to the processor (and on to the dead-letter topic).
/// </summary>
public static class KafkaTraceContext
{
    /// <summary>The W3C <c>traceparent</c> header.</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C <c>tracestate</c> header.</summary>
    public const string TraceStateHeader = "tracestate";

    /// <summary>
    /// Writes the activity's context (default: <see cref="Activity.Current"/>) into the headers,
    /// replacing any trace context they held. Does nothing without an activity in W3C format.
    /// </summary>
    /// <returns>True when a context was written.</returns>
    public static bool Inject(Headers headers, Activity? activity = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        activity ??= Activity.Current;
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is null)
        {
            return false;
        }

        headers.Remove(TraceParentHeader);
        headers.Remove(TraceStateHeader);
        headers.Add(TraceParentHeader, Encoding.ASCII.GetBytes(activity.Id));
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers.Add(TraceStateHeader, Encoding.ASCII.GetBytes(activity.TraceStateString));
        }

        return true;
    }

    /// <summary>The trace context the headers carry; false when there is none or it is malformed.</summary>
    public static bool TryExtract(Headers? headers, out ActivityContext context)
    {
        context = default;
        if (headers is null || !headers.TryGetLastBytes(TraceParentHeader, out var parent))
        {
            return false;
        }

        string? state = headers.TryGetLastBytes(TraceStateHeader, out var stateBytes) ? Encoding.ASCII.GetString(stateBytes) : null;
        return ActivityContext.TryParse(Encoding.ASCII.GetString(parent), state, isRemote: true, out context);
    }

    /// <summary>
    /// For your own producers: starts a <c>send {topic}</c> producer activity (when something
    /// listens to <see cref="ConveyorDiagnostics.ActivitySourceName"/>) and writes its context, or
    /// else the current activity's, into <paramref name="headers"/>. Dispose the activity once the
    /// message is acknowledged.
    /// </summary>
    /// <example><code>
    /// var headers = new Headers();
    /// using var activity = KafkaTraceContext.StartSend("orders", headers);
    /// await producer.ProduceAsync("orders", new Message&lt;string, string&gt; { Key = k, Value = v, Headers = headers });
    /// </code></example>
    public static Activity? StartSend(string topic, Headers headers)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(headers);
        var activity = ConveyorDiagnostics.ActivitySource.StartActivity($"send {topic}", ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(MessagingAttributes.System, MessagingAttributes.Kafka);
            activity.SetTag(MessagingAttributes.OperationName, "send");
            activity.SetTag(MessagingAttributes.OperationType, "send");
            activity.SetTag(MessagingAttributes.Destination, topic);
        }

        Inject(headers, activity);
        return activity;
    }
}
