using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Tests.Diagnostics;

public class TraceContextTests
{
    [Fact]
    public void A_trace_context_written_to_headers_reads_back_as_the_same_trace_and_span()
    {
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";
        var headers = new Headers { { KafkaTraceContext.TraceParentHeader, "00-stale"u8.ToArray() } };

        Assert.True(KafkaTraceContext.Inject(headers, activity));

        Assert.Single(headers, h => h.Key == KafkaTraceContext.TraceParentHeader);
        Assert.Equal(activity.Id, Encoding.ASCII.GetString(headers.GetLastBytes(KafkaTraceContext.TraceParentHeader)));
        Assert.True(KafkaTraceContext.TryExtract(headers, out var context));
        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.Equal("vendor=1", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void Missing_or_malformed_trace_context_is_no_context()
    {
        Assert.False(KafkaTraceContext.TryExtract(null, out _));
        Assert.False(KafkaTraceContext.TryExtract([], out _));
        Assert.False(KafkaTraceContext.TryExtract(new Headers { { KafkaTraceContext.TraceParentHeader, "garbage"u8.ToArray() } }, out _));
    }

    [Fact]
    public void Without_an_activity_nothing_is_written()
    {
        Activity.Current = null;
        var headers = new Headers();

        Assert.False(KafkaTraceContext.Inject(headers));
        Assert.Empty(headers);
    }
}
